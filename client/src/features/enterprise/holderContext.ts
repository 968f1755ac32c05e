/**
 * Names a holder's redemption list needs and the API does not put on a redemption: the pool
 * (from the holder's own vouchers) and the provider (from the pools' enrolled merchants).
 */
import type { Redemption, Voucher } from '@hqt/shared';
import { merchantsApi, type Merchant } from '../merchants/merchantsApi';
import { vouchersApi } from '../vouchers/vouchersApi';

export interface HolderContext {
  vouchers: Map<string, Voucher>;
  merchants: Map<string, Merchant>;
}

export async function loadHolderContext(redemptions: readonly Redemption[], signal: AbortSignal): Promise<HolderContext> {
  const vouchers = await vouchersApi.list({}, signal);
  const poolIds = [...new Set(redemptions.map((r) => r.poolId))];
  const enrolled = await Promise.all(
    poolIds.map((id) => merchantsApi.enrolled(id, undefined, signal).then((page) => page.items, () => [] as Merchant[])),
  );
  return {
    vouchers: new Map(vouchers.items.map((v) => [v.id, v])),
    merchants: new Map(enrolled.flat().map((m) => [m.id, m])),
  };
}
