import fc from 'fast-check';
import { computeDiscount, FEN_MAX, type ValueRule } from '@hqt/shared';

const fenArb = (max = 10_000_000_00) => fc.integer({ min: 0, max });
const ruleArb: fc.Arbitrary<ValueRule> = fc.oneof(
  fc.record({ type: fc.constant('fixed' as const), amountFen: fc.integer({ min: 1, max: 1_000_000_00 }), minSpendFen: fenArb(1_000_000_00) }),
  fc.record({ type: fc.constant('ratio' as const), amountFen: fc.integer({ min: 1, max: 5_000_000_00 }), ratioBp: fc.integer({ min: 1, max: 10_000 }) }),
  fc.record({ type: fc.constant('balance' as const), amountFen: fc.integer({ min: 1, max: 1_000_000_00 }) }),
);

describe('discount arithmetic', () => {
  test('when any rule meets any order and balance, then the discount is an integer, ≥ 0, ≤ balance and ≤ order', () => {
    fc.assert(fc.property(ruleArb, fenArb(FEN_MAX), fenArb(), (rule, orderFen, balanceFen) => {
      const r = computeDiscount(rule, orderFen, balanceFen);
      if (!r.ok) return true;
      expect(Number.isSafeInteger(r.discountFen)).toBe(true);
      expect(r.discountFen).toBeGreaterThan(0);
      expect(r.discountFen).toBeLessThanOrEqual(balanceFen);
      expect(r.discountFen).toBeLessThanOrEqual(orderFen);
      expect(r.payFen).toBe(orderFen - r.discountFen);
      expect(r.balanceAfterFen).toBe(rule.type === 'fixed' ? 0 : balanceFen - r.discountFen);
      expect(r.singleUse).toBe(rule.type === 'fixed');
      return true;
    }), { numRuns: 5000 });
  });

  test('when a fixed (满减) order reaches the threshold, then exactly the amount comes off; one fen below, then BELOW_MIN_SPEND', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }),
      (amountFen, extraMin, extraOrder) => {
        const minSpendFen = amountFen + extraMin;
        const rule: ValueRule = { type: 'fixed', amountFen, minSpendFen };
        const at = computeDiscount(rule, minSpendFen + extraOrder, amountFen);
        expect(at).toMatchObject({ ok: true, discountFen: amountFen, payFen: minSpendFen + extraOrder - amountFen });
        if (minSpendFen > 0) expect(computeDiscount(rule, minSpendFen - 1, amountFen)).toEqual({ ok: false, reason: 'BELOW_MIN_SPEND' });
      }));
  });

  test('when the consumption tiers meet their orders, then 满300减90, 满500减180, 满1000减400', () => {
    const tier = (min: number, off: number) => ({ type: 'fixed' as const, amountFen: off * 100, minSpendFen: min * 100 });
    expect(computeDiscount(tier(300, 90), 30_000, 9_000)).toMatchObject({ ok: true, discountFen: 9_000, payFen: 21_000, balanceAfterFen: 0 });
    expect(computeDiscount(tier(300, 90), 29_999, 9_000)).toEqual({ ok: false, reason: 'BELOW_MIN_SPEND' });
    expect(computeDiscount(tier(500, 180), 88_800, 18_000)).toMatchObject({ ok: true, discountFen: 18_000, payFen: 70_800 });
    expect(computeDiscount(tier(1000, 400), 100_000, 40_000)).toMatchObject({ ok: true, discountFen: 40_000, payFen: 60_000 });
  });

  test('when a plain fixed voucher (no minimum) meets a smaller order, then the discount is the order and the voucher is spent', () => {
    expect(computeDiscount({ type: 'fixed', amountFen: 5_000, minSpendFen: 0 }, 3_000, 5_000))
      .toEqual({ ok: true, discountFen: 3_000, payFen: 0, balanceAfterFen: 0, singleUse: true });
  });

  test('when a ratio voucher meets an order, then floor(order × bp / 10000) comes off, capped by the balance', () => {
    const compute = { type: 'ratio' as const, amountFen: 5_000_000_00, ratioBp: 3000 };
    expect(computeDiscount(compute, 1_000_000_00, 5_000_000_00)).toMatchObject({ ok: true, discountFen: 300_000_00, balanceAfterFen: 4_700_000_00 });
    expect(computeDiscount(compute, 333, 1_000)).toMatchObject({ ok: true, discountFen: 99 }); // 99.9 → 99, never rounded up
    expect(computeDiscount(compute, 100_000_000_00, 1_234_56)).toMatchObject({ ok: true, discountFen: 1_234_56, balanceAfterFen: 0 });
    expect(computeDiscount(compute, 3, 1_000)).toEqual({ ok: false, reason: 'NO_DISCOUNT' });
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fenArb(), fenArb(), (ratioBp, orderFen, balanceFen) => {
      const r = computeDiscount({ type: 'ratio', amountFen: 1, ratioBp }, orderFen, balanceFen);
      const expected = Math.min(Math.floor((orderFen * ratioBp) / 10_000), balanceFen);
      if (expected === 0) expect(r.ok).toBe(false);
      else expect(r).toMatchObject({ ok: true, discountFen: expected });
    }));
  });

  test('when a stored-value voucher meets an order, then min(order, balance) comes off', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (orderFen, balanceFen) => {
      expect(computeDiscount({ type: 'balance', amountFen: balanceFen }, orderFen, balanceFen))
        .toMatchObject({ ok: true, discountFen: Math.min(orderFen, balanceFen), balanceAfterFen: balanceFen - Math.min(orderFen, balanceFen) });
    }));
  });

  test('when the voucher has nothing left, then INSUFFICIENT_BALANCE; when an amount is not whole fen, then it throws', () => {
    expect(computeDiscount({ type: 'balance', amountFen: 100 }, 50, 0)).toEqual({ ok: false, reason: 'INSUFFICIENT_BALANCE' });
    expect(() => computeDiscount({ type: 'balance', amountFen: 100 }, 10.5, 100)).toThrow(RangeError);
    expect(() => computeDiscount({ type: 'balance', amountFen: 100 }, -1, 100)).toThrow(RangeError);
    expect(() => computeDiscount({ type: 'ratio', amountFen: 100, ratioBp: 10_001 }, 1, 100)).toThrow(RangeError);
  });
});
