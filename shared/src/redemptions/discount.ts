/**
 * The discount a voucher gives on an order: one pure function, used by the server when it
 * redeems and by the client when it previews. Amounts are integer fen; ratios basis points.
 * - fixed (满减): `amountFen` off when the order reaches `minSpendFen`; single use, so the
 *   voucher is spent whole even when a plain voucher (minSpend 0) meets a smaller order
 * - ratio: floor(order × ratioBp / 10000), capped by what is left on the voucher; multi-use
 * - balance (stored value): min(order, balance); multi-use
 * The answer is always an integer with 0 ≤ discount ≤ balance and discount ≤ order.
 */
import { applyBasisPoints, assertFen } from '../money';
import type { ValueRule } from '../pools/pools.types';

export type DiscountRefusal = 'BELOW_MIN_SPEND' | 'INSUFFICIENT_BALANCE' | 'NO_DISCOUNT';

export type DiscountResult =
  | {
    ok: true;
    discountFen: number;
    /** what the customer pays: order − discount */
    payFen: number;
    /** the voucher balance once the discount is taken (0 for a spent single-use voucher) */
    balanceAfterFen: number;
    /** fixed vouchers are spent by one redemption, whatever the discount */
    singleUse: boolean;
  }
  | { ok: false; reason: DiscountRefusal };

export function isSingleUse(rule: Pick<ValueRule, 'type'>): boolean {
  return rule.type === 'fixed';
}

function rawDiscount(rule: ValueRule, orderAmountFen: number, balanceFen: number): number {
  switch (rule.type) {
    case 'fixed':
      return Math.min(rule.amountFen, balanceFen, orderAmountFen);
    case 'ratio':
      return Math.min(applyBasisPoints(orderAmountFen, rule.ratioBp ?? 0), balanceFen);
    case 'balance':
      return Math.min(orderAmountFen, balanceFen);
  }
}

/** The discount of `rule` on an order of `orderAmountFen` against a voucher holding `balanceFen`. */
export function computeDiscount(rule: ValueRule, orderAmountFen: number, balanceFen: number): DiscountResult {
  assertFen(orderAmountFen, 'orderAmountFen');
  assertFen(balanceFen, 'balanceFen');
  if (rule.ratioBp !== undefined && (!Number.isInteger(rule.ratioBp) || rule.ratioBp < 0 || rule.ratioBp > 10_000)) {
    throw new RangeError('ratioBp must be an integer between 0 and 10000');
  }
  if (rule.type === 'fixed' && orderAmountFen < (rule.minSpendFen ?? 0)) return { ok: false, reason: 'BELOW_MIN_SPEND' };
  if (balanceFen === 0) return { ok: false, reason: 'INSUFFICIENT_BALANCE' };
  const discountFen = rawDiscount(rule, orderAmountFen, balanceFen);
  if (discountFen <= 0) return { ok: false, reason: 'NO_DISCOUNT' };
  const singleUse = isSingleUse(rule);
  return {
    ok: true, discountFen, payFen: orderAmountFen - discountFen, singleUse,
    balanceAfterFen: singleUse ? 0 : balanceFen - discountFen,
  };
}
