/** What the redemption endpoints answer. Amounts in fen. */
import type { REDEMPTION_STATUSES } from './redemptions.schemas';

export type RedemptionStatus = (typeof REDEMPTION_STATUSES)[number];

export interface RedeemRequest {
  token: string;
  orderAmountFen: number;
  orderRef: string;
  voucherId?: string;
  contractRef?: string;
  invoiceNo?: string;
  deliveryProof?: Record<string, string | number | boolean>;
}

export interface RedemptionPreview {
  voucherId: string;
  voucherCode: string;
  poolId: string;
  mode: 'direct' | 'confirm';
  orderAmountFen: number;
  discountFen: number;
  /** what the customer pays */
  payFen: number;
  voucherBalanceFen: number;
  /** the voucher balance after this redemption */
  balanceAfterFen: number;
}

export interface Reversal {
  id: string;
  redemptionId: string;
  amountFen: number;
  /** `voucher`: back on the still-valid voucher; `available`: back to the pool */
  destination: 'voucher' | 'available';
  reason: string | null;
  reversedBy: string;
  createdAt: string;
}

export interface Redemption {
  id: string;
  poolId: string;
  issuerId: string;
  voucherId: string;
  voucherCode: string;
  merchantId: string;
  holderKind: 'enterprise' | 'consumer';
  holderId: string;
  mode: 'direct' | 'confirm';
  /** pending (B2B hold) → posted | rejected | voided; posted → reversed */
  status: RedemptionStatus;
  orderAmountFen: number;
  discountFen: number;
  payFen: number;
  /** the voucher balance right after this redemption (or hold) */
  voucherBalanceAfterFen: number;
  orderRef: string;
  contractRef: string | null;
  invoiceNo: string | null;
  deliveryProof: Record<string, string | number | boolean> | null;
  createdAt: string;
  postedAt: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  reversal: Reversal | null;
}

export interface ReconcileDifference {
  /** which invariant: txn_unbalanced, pool_budget_equation, pool_available, voucher_balance, rollup, … */
  check: string;
  /** what it is about, e.g. `pool:<id>`, `voucher:<id>`, `txn:<id>` */
  subject: string;
  expected: number | string | null;
  actual: number | string | null;
  detail?: string;
}

export interface ReconcileReport {
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  checked: { transactions: number; pools: number; vouchers: number; rollups: number; merchants: number };
  differences: ReconcileDifference[];
  /** true when more differences were found than the report lists */
  truncated: boolean;
}
