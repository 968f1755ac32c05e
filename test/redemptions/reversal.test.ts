import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { claim, poolAvailable, redeem, scanToken, voucherState } from './fixtures';

// 10:00 in Shanghai on a Tuesday; the default reversal window ends at 00:00 the next day
const START = new Date('2026-12-01T02:00:00Z');
const MIDNIGHT = new Date('2026-12-01T16:00:00Z');

describe('redemption: reversal', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true, now: START });
  });
  afterEach(() => h.clock.set(START));
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  const reverse = async (login: string, id: string) =>
    h.http().post(`/api/v1/redemptions/${id}/reversal`).set(bearer(await h.login(login))).send({ reason: '顾客退菜' });
  const redeemNow = async (v: Parameters<typeof scanToken>[1], orderAmountFen = 40_000) => {
    const res = await redeem(h, await h.login('mch.catering.cashier'), { token: scanToken(h, v), orderAmountFen });
    if (res.status !== 201) throw new Error(`redeem: ${JSON.stringify(res.body)}`);
    return res.body as { id: string; discountFen: number };
  };

  /** A ¥100 stored-value voucher valid until START + `ms`. */
  const storedValueUntil = async (ms: number) => {
    const pool = await openPool(h, {
      perHolderMax: 5, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000,
      validUntil: new Date(START.getTime() + ms).toISOString(),
    });
    return { pool, v: await claim(h, pool.id) };
  };

  test('when the merchant reverses the same business day, then the fixed voucher is active again with its balance; a second call answers the first reversal', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const r = await redeemNow(v);
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'redeemed' });
    h.clock.set(new Date(MIDNIGHT.getTime() - 1000));
    expect((await reverse('mch.compute', r.id)).status).toBe(404);
    const first = await reverse('mch.catering.cashier', r.id);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'reversed', reversal: { amountFen: 9_000, destination: 'voucher', reason: '顾客退菜' } });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 9_000, held_fen: 0, status: 'active' });
    const second = await reverse('mch.catering', r.id);
    expect(second.status).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body.reversal).toEqual(first.body.reversal);
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM redemption_reversals WHERE redemption_id = ${r.id}`);
    expect(n!.n).toBe(1);
    const entries = await h.db.query<{ account: string; amount_fen: number }>(sql`
      SELECT e.account, e.amount_fen FROM journal_entries e JOIN journal_transactions t ON t.id = e.txn_id
      WHERE t.kind = 'reverse' AND t.ref_id = ${first.body.reversal.id} ORDER BY e.amount_fen`);
    expect(entries).toEqual([{ account: 'spent', amount_fen: -9_000 }, { account: 'voucher', amount_fen: 9_000 }]);
    // the restored voucher redeems again with a fresh code
    h.clock.advanceMs(30_000);
    expect((await redeemNow(v)).discountFen).toBe(9_000);
  });

  test('when concurrent reversals of one redemption arrive, then one reversal exists and the balance is restored once', async () => {
    const pool = await openPool(h, { perHolderMax: 5, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000 });
    const v = await claim(h, pool.id);
    const r = await redeemNow(v, 4_000);
    const token = await h.login('mch.catering.cashier');
    const replies = await Promise.all(Array.from({ length: 6 }, () =>
      h.http().post(`/api/v1/redemptions/${r.id}/reversal`).set(bearer(token)).send({})));
    expect(replies.filter((x) => x.status === 201)).toHaveLength(1);
    expect(replies.every((x) => x.status === 201 || x.status === 200)).toBe(true);
    expect(new Set(replies.map((x) => x.body.reversal.id)).size).toBe(1);
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 10_000, held_fen: 0, status: 'active' });
  });

  test('when the business day has ended, then REVERSAL_WINDOW_CLOSED and nothing moves', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const r = await redeemNow(v);
    h.clock.set(MIDNIGHT);
    const res = await reverse('mch.catering.cashier', r.id);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('REVERSAL_WINDOW_CLOSED');
    expect(await voucherState(h, v.id)).toMatchObject({ status: 'redeemed', balance_fen: 0 });
  });

  test("when the pool sets a 30-minute window, then a reversal at 29 minutes passes and one at 31 minutes is refused", async () => {
    const pool = await openPool(h, { perHolderMax: 5, reversalWindowMinutes: 30 });
    const a = await redeemNow(await claim(h, pool.id));
    const b = await redeemNow(await claim(h, pool.id));
    h.clock.set(new Date(START.getTime() + 29 * 60_000));
    expect((await reverse('mch.catering.cashier', a.id)).status).toBe(201);
    h.clock.set(new Date(START.getTime() + 31 * 60_000));
    expect((await reverse('mch.catering.cashier', b.id)).body.code).toBe('REVERSAL_WINDOW_CLOSED');
  });

  test('when the voucher has expired by the time of the reversal, then the amount goes back to the pool, not the voucher', async () => {
    const { pool, v } = await storedValueUntil(2 * HOUR_MS);
    const r = await redeemNow(v, 3_000);
    const afterRedeem = await poolAvailable(h, pool.id);
    h.clock.set(new Date(START.getTime() + 3 * HOUR_MS));
    const expiry = await h.services.jobs.run('voucher-expiry');
    expect(expiry.detail).toMatchObject({ expired: 1, releasedFen: 7_000 });
    expect(await poolAvailable(h, pool.id)).toBe(afterRedeem + 7_000);
    const res = await reverse('mch.catering.cashier', r.id);
    expect(res.status).toBe(201);
    expect(res.body.reversal).toMatchObject({ amountFen: 3_000, destination: 'available' });
    expect(await poolAvailable(h, pool.id)).toBe(afterRedeem + 10_000);
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'expired' });
  });

  test('when the voucher is past validity but the expiry job has not run yet, then the reversal still goes to the pool', async () => {
    const { pool, v } = await storedValueUntil(2 * HOUR_MS);
    const r = await redeemNow(v, 2_500);
    const before = await poolAvailable(h, pool.id);
    h.clock.set(new Date(START.getTime() + 2 * HOUR_MS));
    const res = await reverse('mch.catering.cashier', r.id);
    expect(res.body.reversal.destination).toBe('available');
    expect(await poolAvailable(h, pool.id)).toBe(before + 2_500);
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 7_500, held_fen: 0, status: 'active' });
  });
});
