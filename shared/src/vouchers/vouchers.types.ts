import type { MerchantScope, ValueRule } from '../pools/pools.types';

export type VoucherStatus = 'pending_confirmation' | 'active' | 'redeemed' | 'expired' | 'revoked';

export interface Voucher {
  id: string;
  code: string;
  poolId: string;
  poolNameZh: string;
  poolNameEn: string | null;
  kind: string;
  holderKind: 'enterprise' | 'consumer';
  holderId: string;
  amountFen: number;
  balanceFen: number;
  heldFen: number;
  status: VoucherStatus;
  validFrom: string;
  validUntil: string;
  valueRule: ValueRule;
  merchantScope: MerchantScope;
  bannedCategories: string[];
  redemptionMode: 'direct' | 'confirm';
  providerId: string | null;
  source: string;
  issuedAt: string;
  /** how the QR works; the key is given to the holder only, for offline dynamic codes */
  qr: { mode: 'dynamic' | 'static'; stepSeconds: number; key?: string; token?: string };
}
