import { startHarness, bearer, DEMO_PASSWORD, type Harness } from '../helpers/harness';
import { HOUR_MS, idemKey, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import {
  addCashiers, claim, orgIdOf, poolAvailable, preview, redeem, scanPng, scanToken, voucherState, walletToken,
} from './fixtures';

describe('redemption (核销): direct mode', () => {
  let h: Harness;
  let cashier: string;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    cashier = await h.login('mch.catering.cashier');
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when a cashier scans the wallet QR of a 满300减90 voucher on a ¥388 order, then ¥90 off, ¥298 to pay, the voucher is spent and the journal moves voucher → spent', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const token = await scanPng(h, '13800138000', v.id);
    const res = await redeem(h, cashier, { token, orderAmountFen: 38_800, orderRef: 'T-0001' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'posted', mode: 'direct', voucherId: v.id, voucherCode: v.code, orderAmountFen: 38_800, discountFen: 9_000,
      payFen: 29_800, voucherBalanceAfterFen: 0, orderRef: 'T-0001', reversal: null,
    });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'redeemed' });
    const merchantId = await orgIdOf(h, 'mch.catering');
    const entries = await h.db.query<{ account: string; amount_fen: number; merchant_id: string | null }>(sql`
      SELECT e.account, e.amount_fen, e.merchant_id FROM journal_entries e JOIN journal_transactions t ON t.id = e.txn_id
      WHERE t.kind = 'redeem' AND t.ref_id = ${res.body.id} ORDER BY e.amount_fen`);
    expect(entries).toEqual([
      { account: 'voucher', amount_fen: -9_000, merchant_id: null },
      { account: 'spent', amount_fen: 9_000, merchant_id: merchantId },
    ]);
    const eq = await poolEquation(h, pool.id);
    expect(eq.journal.spent).toBe(9_000);
    expect(eq.journal.budget).toBe(eq.journal.available + eq.journal.reserved + eq.journal.spent);
  });

  test('when the cashier previews, then the same figures come back and nothing is committed', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const res = await preview(h, cashier, { token: scanToken(h, v), orderAmountFen: 50_000 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      voucherId: v.id, voucherCode: v.code, poolId: pool.id, mode: 'direct', orderAmountFen: 50_000, discountFen: 9_000,
      payFen: 41_000, voucherBalanceFen: 9_000, balanceAfterFen: 0,
    });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 9_000, held_fen: 0, status: 'active' });
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM redemptions WHERE voucher_id = ${v.id}`);
    expect(n!.n).toBe(0);
  });

  test('when the order is below the minimum spend, then BELOW_MIN_SPEND at one fen under, and success at the threshold', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const below = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 29_999 });
    expect(below.status).toBe(422);
    expect(below.body.code).toBe('BELOW_MIN_SPEND');
    const at = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 30_000 });
    expect(at.status).toBe(201);
    expect(at.body.payFen).toBe(21_000);
  });

  test("when a merchant outside the pool's categories redeems, then NOT_ENROLLED; a banned category, then CATEGORY_BANNED", async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const compute = await redeem(h, await h.login('mch.compute.cashier'), { token: scanToken(h, v), orderAmountFen: 50_000 });
    expect(compute.status).toBe(403);
    expect(compute.body.code).toBe('NOT_ENROLLED');

    const uscc = '92310106MA1FL0199';
    const { usccCheckChar } = await import('@hqt/shared');
    const reg = await h.http().post('/api/v1/auth/register/merchant').send({
      uscc: uscc + usccCheckChar(uscc), orgNameZh: '静安团购小铺', district: 'jingan', login: 'mch.groupbuy', password: DEMO_PASSWORD,
      displayName: '团购店长', categories: ['catering', 'group_buying'],
    });
    expect(reg.status).toBe(201);
    const approve = await h.http().post(`/api/v1/merchants/${reg.body.orgId}/approve`).set(bearer(await h.login('admin')));
    expect(approve.status).toBe(200);
    const banned = await redeem(h, await h.login('mch.groupbuy'), { token: scanToken(h, v), orderAmountFen: 50_000 });
    expect(banned.status).toBe(403);
    expect(banned.body.code).toBe('CATEGORY_BANNED');
    expect((await voucherState(h, v.id)).status).toBe('active');
  });

  test('when the scope names districts or is enrolment-only, then only merchants there or enrolled by the issuer redeem', async () => {
    const pudong = await openPool(h, { perHolderMax: 5, merchantScope: { categories: ['catering'], districts: ['pudong'] } });
    const v1 = await claim(h, pudong.id);
    const outside = await redeem(h, cashier, { token: scanToken(h, v1), orderAmountFen: 50_000 });
    expect(outside.body.code).toBe('NOT_ENROLLED');

    const listed = await openPool(h, { perHolderMax: 5, merchantScope: { enrolledOnly: true } });
    const v2 = await claim(h, listed.id);
    expect((await redeem(h, cashier, { token: scanToken(h, v2), orderAmountFen: 50_000 })).body.code).toBe('NOT_ENROLLED');
    const enrol = await h.http().post(`/api/v1/pools/${listed.id}/merchants`).set(bearer(await h.login('jxw.manager')))
      .send({ merchantIds: [await orgIdOf(h, 'mch.catering')] });
    expect(enrol.status).toBe(200);
    expect((await redeem(h, cashier, { token: scanToken(h, v2), orderAmountFen: 50_000 })).status).toBe(201);
  });

  test('when checks fail together, then the first in DESIGN order answers: voucher state before scope, scope before minimum spend', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const computeCashier = await h.login('mch.compute.cashier');
    expect((await redeem(h, computeCashier, { token: scanToken(h, v), orderAmountFen: 100 })).body.code).toBe('NOT_ENROLLED');
    await h.db.query(sql`UPDATE vouchers SET valid_from = ${new Date(h.clock.now().getTime() + HOUR_MS).toISOString()} WHERE id = ${v.id}`);
    expect((await redeem(h, computeCashier, { token: scanToken(h, v), orderAmountFen: 100 })).body.code).toBe('VOUCHER_NOT_YET_VALID');
    await h.db.query(sql`UPDATE vouchers SET valid_from = ${new Date(h.clock.now().getTime() - HOUR_MS).toISOString()} WHERE id = ${v.id}`);
    const revoke = await h.http().post(`/api/v1/vouchers/${v.id}/revoke`).set(bearer(await h.login('jxw.manager'))).send({ reason: 'test' });
    expect(revoke.status).toBe(200);
    const revoked = await redeem(h, computeCashier, { token: scanToken(h, v), orderAmountFen: 100 });
    expect(revoked.status).toBe(409);
    expect(revoked.body.code).toBe('VOUCHER_NOT_ACTIVE');
  });

  test('when the issuer pauses the pool, then redemptions answer POOL_NOT_OPEN until it resumes', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const manager = await h.login('jxw.manager');
    expect((await h.http().post(`/api/v1/pools/${pool.id}/pause`).set(bearer(manager))).status).toBe(200);
    const paused = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 50_000 });
    expect(paused.status).toBe(409);
    expect(paused.body.code).toBe('POOL_NOT_OPEN');
    expect((await h.http().post(`/api/v1/pools/${pool.id}/resume`).set(bearer(manager))).status).toBe(200);
    expect((await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 50_000 })).status).toBe(201);
  });

  test('when a voucher is past its validity but not yet expired by the job, then VOUCHER_EXPIRED', async () => {
    const now = h.clock.now().getTime();
    const pool = await openPool(h, { perHolderMax: 5, validUntil: new Date(now + 2 * HOUR_MS).toISOString() });
    const v = await claim(h, pool.id);
    h.clock.set(new Date(now + 2 * HOUR_MS));
    try {
      const res = await redeem(h, await h.login('mch.catering.cashier'), { token: scanToken(h, v), orderAmountFen: 50_000 });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('VOUCHER_EXPIRED');
    } finally {
      h.clock.set(new Date(now));
    }
  });

  test('when a stored-value voucher is used several times, then each takes min(order, balance) until it is spent', async () => {
    const pool = await openPool(h, { perHolderMax: 5, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000 });
    const v = await claim(h, pool.id);
    const first = await redeem(h, cashier, { token: walletToken(v, h.clock.now().getTime()), orderAmountFen: 3_000 });
    expect(first.body).toMatchObject({ discountFen: 3_000, payFen: 0, voucherBalanceAfterFen: 7_000 });
    // the same dynamic token cannot redeem twice; the wallet's next code can
    const second = await redeem(h, cashier, { token: walletToken(v, h.clock.now().getTime(), 1), orderAmountFen: 12_000 });
    expect(second.body).toMatchObject({ discountFen: 7_000, payFen: 5_000, voucherBalanceAfterFen: 0 });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'redeemed' });
    const third = await redeem(h, cashier, { token: walletToken(v, h.clock.now().getTime(), -1), orderAmountFen: 1_000 });
    expect(third.body.code).toBe('VOUCHER_NOT_ACTIVE');
  });

  test('when a plain fixed voucher meets a smaller order, then the order is free and the rest of the voucher returns to the pool', async () => {
    const pool = await openPool(h, { perHolderMax: 5, valueRule: { type: 'fixed', amountFen: 5_000, minSpendFen: 0 }, budgetFen: 50_000 });
    const v = await claim(h, pool.id);
    const before = await poolAvailable(h, pool.id);
    const res = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 3_200 });
    expect(res.body).toMatchObject({ discountFen: 3_200, payFen: 0, voucherBalanceAfterFen: 0 });
    expect(await poolAvailable(h, pool.id)).toBe(before + 1_800);
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'redeemed' });
  });

  test('when 50 cashiers redeem one single-use voucher at once with different keys, then exactly one succeeds', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const cashiers = await addCashiers(h, 'mch.catering', 50);
    const token = scanToken(h, v);
    const replies = await Promise.all(cashiers.map((c) => redeem(h, c, { token, orderAmountFen: 40_000 })));
    const ok = replies.filter((r) => r.status === 201);
    expect(ok).toHaveLength(1);
    const codes = new Set(replies.filter((r) => r.status !== 201).map((r) => r.body.code));
    expect([...codes].every((c) => c === 'VOUCHER_NOT_ACTIVE' || c === 'TOKEN_REPLAYED')).toBe(true);
    const [n] = await h.db.query<{ n: number; fen: number }>(sql`
      SELECT count(*)::int AS n, coalesce(sum(discount_fen), 0)::bigint AS fen FROM redemptions WHERE voucher_id = ${v.id}`);
    expect(n).toEqual({ n: 1, fen: 9_000 });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'redeemed' });
  });

  test('when a redemption is replayed with its key, then the same answer comes back, 2xx and 4xx alike; another body gets 409', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const token = scanToken(h, v);
    const key = idemKey();
    const first = await redeem(h, cashier, { token, orderAmountFen: 40_000, orderRef: 'R-1' }, key);
    const again = await redeem(h, cashier, { token, orderAmountFen: 40_000, orderRef: 'R-1' }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // another cashier of the same merchant shares the merchant's key space
    const colleague = await redeem(h, (await addCashiers(h, 'mch.catering', 1))[0] as string, { token, orderAmountFen: 40_000, orderRef: 'R-1' }, key);
    expect(colleague.body).toEqual(first.body);
    const other = await redeem(h, cashier, { token, orderAmountFen: 45_000, orderRef: 'R-1' }, key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_CONFLICT');

    const v2 = await claim(h, pool.id);
    const refusedKey = idemKey();
    const refused = await redeem(h, cashier, { token: scanToken(h, v2), orderAmountFen: 100, orderRef: 'R-2' }, refusedKey);
    const refusedAgain = await redeem(h, cashier, { token: scanToken(h, v2), orderAmountFen: 100, orderRef: 'R-2' }, refusedKey);
    expect(refused.status).toBe(422);
    expect(refusedAgain.status).toBe(422);
    expect(refusedAgain.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refusedAgain.body).toEqual(refused.body);
    expect(refusedAgain.headers['idempotent-replayed']).toBe('true');
  });

  test('when concurrent duplicates share one key, then one redemption exists and every reply is it', async () => {
    const pool = await openPool(h, { perHolderMax: 5, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000 });
    const v = await claim(h, pool.id);
    const key = idemKey();
    const body = { token: scanToken(h, v), orderAmountFen: 1_000, orderRef: 'DUP-1' };
    const replies = await Promise.all(Array.from({ length: 8 }, () => redeem(h, cashier, body, key)));
    const statuses = new Set(replies.map((r) => r.status));
    // a duplicate either waited for the first and replayed it, or was told the first is still running
    expect([...statuses].every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set(replies.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    replies.filter((r) => r.status === 409).forEach((r) => expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS'));
    expect(await voucherState(h, v.id)).toMatchObject({ balance_fen: 9_000 });
  });

  test('when the redemption has no Idempotency-Key, then 400 names the header', async () => {
    const res = await h.http().post('/api/v1/redemptions').set(bearer(cashier)).send({ token: 'HQT1.X', orderAmountFen: 1, orderRef: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('headers.Idempotency-Key');
  });

  test('when parties list redemptions, then a merchant sees its own, the holder its own, the issuer its own; others get 404', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const v = await claim(h, pool.id);
    const done = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 30_000 });
    const id = done.body.id as string;
    const get = async (login: string) => h.http().get(`/api/v1/redemptions/${id}`).set(bearer(await h.login(login)));
    for (const login of ['mch.catering', 'mch.catering.cashier', '13800138000', 'jxw.auditor', 'admin']) expect((await get(login)).status).toBe(200);
    for (const login of ['mch.compute', 'mch.compute.cashier', 'ent.alpha', 'swj.auditor']) expect((await get(login)).status).toBe(404);
    const list = async (login: string) => (await h.http().get(`/api/v1/redemptions?poolId=${pool.id}`).set(bearer(await h.login(login)))).body.items as { id: string }[];
    expect((await list('mch.catering.cashier')).map((r) => r.id)).toEqual([id]);
    expect((await list('13800138000')).map((r) => r.id)).toEqual([id]);
    expect((await list('jxw.approver')).map((r) => r.id)).toEqual([id]);
    expect(await list('mch.compute')).toEqual([]);
    expect(await list('swj.manager')).toEqual([]);
  });
});
