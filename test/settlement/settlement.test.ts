import { parse } from 'csv-parse/sync';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { claimAs, orgIdOf, redeem, scanToken, tokenCache, type WalletVoucher } from '../redemptions/fixtures';

// Tuesday 1 December 2026, 10:00 in Shanghai; each business day's cut-off is the next 00:00
const DAY_MS = 24 * HOUR_MS;
const START = new Date('2026-12-01T02:00:00Z');
const cutoff = (n: number) => new Date(Date.UTC(2026, 11, n - 1, 16)); // 00:00 Shanghai on 2026-12-n
const at = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 11, day, hh - 8, mm)); // hh:mm Shanghai on 2026-12-day

interface Batch {
  id: string; issuerId: string; merchantId: string; funderCode: string | null; status: string; businessDay: string; cutoffAt: string;
  redemptionCount: number; reversalCount: number; redeemedFen: number; reversedFen: number; amountFen: number;
  paymentRef: string | null;
}

describe('settlement (结算): daily batches, approval, payment, statements', () => {
  let h: Harness;
  let jxw: string;
  let swj: string;
  let catering: string;
  let poolA: string;
  let poolS: string;
  const tokenOf = tokenCache(() => h);
  const claimV = async (poolId: string): Promise<WalletVoucher> => claimAs(h, await tokenOf('13800138000'), poolId);
  const redeemIn = async (poolId: string, orderAmountFen: number) => {
    const v = await claimV(poolId);
    const res = await redeem(h, await tokenOf('mch.catering.cashier'), { token: scanToken(h, v), orderAmountFen });
    if (res.status !== 201) throw new Error(`redeem: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; discountFen: number };
  };
  const reverse = async (id: string) => {
    const res = await h.http().post(`/api/v1/redemptions/${id}/reversal`).set(bearer(await tokenOf('mch.catering.cashier'))).send({});
    if (res.status !== 201) throw new Error(`reverse: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { reversal: { id: string; amountFen: number } };
  };
  const batches = async (login: string, query = '') => {
    const res = await h.http().get(`/api/v1/settlements${query}`).set(bearer(await tokenOf(login)));
    expect(res.status).toBe(200);
    return res.body.items as Batch[];
  };
  const userId = async (login: string) =>
    (await h.db.query<{ id: string }>(sql`SELECT id FROM users WHERE login = ${login}`))[0]!.id;

  /** Every posted redemption and reversal before `cut` has a batch and a line per funder share, and none twice. */
  const expectSettledOnce = async (cut: Date) => {
    const unsettled = await h.db.query<{ n: number }>(sql`
      SELECT (SELECT count(*) FROM redemptions WHERE posted_at < ${cut.toISOString()} AND settlement_batch_id IS NULL)
           + (SELECT count(*) FROM redemption_reversals WHERE created_at < ${cut.toISOString()} AND settlement_batch_id IS NULL) AS n`);
    expect(Number(unsettled[0]!.n)).toBe(0);
    const twice = await h.db.query(sql`
      SELECT kind, coalesce(reversal_id, redemption_id) AS id, funder_code FROM settlement_lines
      GROUP BY 1, 2, 3 HAVING count(*) > 1`);
    expect(twice).toEqual([]);
    const unlined = await h.db.query(sql`
      SELECT r.id FROM redemptions r WHERE r.settlement_batch_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM settlement_lines l WHERE l.kind = 'redemption' AND l.redemption_id = r.id)
      UNION ALL
      SELECT x.id FROM redemption_reversals x WHERE x.settlement_batch_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM settlement_lines l WHERE l.kind = 'reversal' AND l.reversal_id = x.id)`);
    expect(unlined).toEqual([]);
  };
  /** A merchant's payable per pool from the journal, and from the redemption tables and paid batches. */
  const payable = async (poolId: string) => {
    const [j] = await h.db.query<{ spent: number; settled: number }>(sql`
      SELECT coalesce(sum(amount_fen) FILTER (WHERE account = 'spent'), 0)::bigint AS spent,
             coalesce(sum(amount_fen) FILTER (WHERE account = 'settled'), 0)::bigint AS settled
      FROM journal_entries WHERE pool_id = ${poolId} AND merchant_id = ${catering}`);
    const [r] = await h.db.query<{ redeemed: number; reversed: number; paid: number }>(sql`
      SELECT (SELECT coalesce(sum(discount_fen), 0) FROM redemptions WHERE pool_id = ${poolId} AND merchant_id = ${catering}
                AND status IN ('posted', 'reversed'))::bigint AS redeemed,
             (SELECT coalesce(sum(amount_fen), 0) FROM redemption_reversals WHERE pool_id = ${poolId} AND merchant_id = ${catering})::bigint AS reversed,
             (SELECT coalesce(sum(l.amount_fen), 0) FROM settlement_lines l JOIN settlement_batches b ON b.id = l.batch_id
                WHERE l.pool_id = ${poolId} AND b.merchant_id = ${catering} AND b.status = 'paid')::bigint AS paid`);
    return { journal: j!, expected: r!.redeemed - r!.reversed - r!.paid, paid: r!.paid };
  };

  beforeAll(async () => {
    h = await startHarness({ demo: true, now: START });
    jxw = await orgIdOf(h, 'jxw.manager');
    swj = await orgIdOf(h, 'swj.manager');
    catering = await orgIdOf(h, 'mch.catering');
    const window = { perHolderMax: 100, budgetFen: 100 * 9000, claimClosesAt: new Date(START.getTime() + 20 * DAY_MS).toISOString() };
    poolA = (await openPool(h, window)).id;
    poolS = (await openPool(h, window, 'swj')).id;
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when the job runs at 00:30, then one batch per issuer × merchant holds each redemption and reversal before the cut-off once; a second run creates nothing', async () => {
    const r1 = await redeemIn(poolA, 38_800);
    const r2 = await redeemIn(poolA, 50_000);
    await redeemIn(poolA, 30_000);
    await redeemIn(poolS, 40_000);
    h.clock.set(at(1, 15));
    await reverse(r2.id);
    h.clock.set(at(1, 23, 59));
    const late = await redeemIn(poolA, 31_000);
    h.clock.set(at(2, 0, 10));
    const nextDay = await redeemIn(poolA, 32_000);

    h.clock.set(at(2, 0, 30));
    const run = await h.services.jobs.run('settlement');
    expect(run.status).toBe('succeeded');
    expect(run.detail).toMatchObject({ cutoffAt: cutoff(2).toISOString(), groups: 2, batches: 2, lines: 6, skipped: 0 });

    const mine = await batches('jxw.approver');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      issuerId: jxw, merchantId: catering, funderCode: null, status: 'draft', businessDay: '2026-12-01', cutoffAt: cutoff(2).toISOString(),
      redemptionCount: 4, reversalCount: 1, redeemedFen: 36_000, reversedFen: 9_000, amountFen: 27_000,
    });
    const lineOf = async (id: string) => h.db.query<{ batch_id: string }>(sql`SELECT batch_id FROM settlement_lines WHERE redemption_id = ${id} AND kind = 'redemption'`);
    expect(await lineOf(late.id)).toEqual([{ batch_id: mine[0]!.id }]);
    expect(await lineOf(r1.id)).toEqual([{ batch_id: mine[0]!.id }]);
    expect(await lineOf(nextDay.id)).toEqual([]);
    await expectSettledOnce(cutoff(2));

    const again = await h.services.jobs.run('settlement');
    expect(again.status).toBe('succeeded');
    expect(again.detail).toMatchObject({ groups: 0, batches: 0, lines: 0 });
    expect(await batches('admin')).toHaveLength(2);
  });

  test('when one group’s transaction fails midway, then the other groups commit, the run fails, and the next run settles the rest exactly once', async () => {
    h.clock.set(at(2, 11));
    await redeemIn(poolA, 45_000);
    const s2 = await redeemIn(poolS, 60_000);
    await reverse(s2.id);
    await h.db.query(sql.raw(`CREATE FUNCTION test_fail_settlement() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$`));
    await h.db.query(sql.raw(`CREATE TRIGGER test_fail_settlement BEFORE INSERT ON settlement_batches FOR EACH ROW
      WHEN (NEW.issuer_id = '${swj}'::uuid) EXECUTE FUNCTION test_fail_settlement()`));
    try {
      h.clock.set(at(3, 0, 30));
      const failed = await h.services.jobs.run('settlement');
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/1 of 2 groups failed.*injected failure/);
      const jxwBatches = await batches('jxw.auditor', '?businessDay=2026-12-02');
      expect(jxwBatches.map((b) => [b.redemptionCount, b.reversalCount, b.amountFen])).toEqual([[2, 0, 18_000]]);
      expect(await batches('swj.auditor', '?businessDay=2026-12-02')).toEqual([]);
    } finally {
      await h.db.query(sql`DROP TRIGGER test_fail_settlement ON settlement_batches`);
      await h.db.query(sql`DROP FUNCTION test_fail_settlement()`);
    }
    const rerun = await h.services.jobs.run('settlement');
    expect(rerun.status).toBe('succeeded');
    expect(rerun.detail).toMatchObject({ groups: 1, batches: 1, lines: 2 });
    const swjBatches = await batches('swj.auditor', '?businessDay=2026-12-02');
    expect(swjBatches.map((b) => [b.redemptionCount, b.reversalCount, b.amountFen])).toEqual([[1, 1, 0]]);
    await expectSettledOnce(cutoff(3));
  });

  test('when two runs race on one cut-off, then each row is claimed once and no batch is made twice', async () => {
    h.clock.set(at(3, 12));
    for (const order of [33_000, 34_000, 35_000]) await redeemIn(poolA, order);
    await redeemIn(poolS, 36_000);
    h.clock.set(at(4, 0, 30));
    const [a, b] = await Promise.all([h.services.settlement.createBatches(cutoff(4)), h.services.settlement.createBatches(cutoff(4))]);
    expect(a.batches + b.batches).toBe(2);
    expect(a.lines + b.lines).toBe(4);
    const made = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM settlement_batches WHERE cutoff_at = ${cutoff(4).toISOString()}`);
    expect(made[0]!.n).toBe(2);
    await expectSettledOnce(cutoff(4));
  });

  test('when an approver of the issuer approves and marks the batch paid, then the journal moves spent → settled and every equation holds; each step is idempotent and audited', async () => {
    h.clock.set(at(4, 9));
    const [batch] = await batches('jxw.approver', '?businessDay=2026-12-01');
    const id = batch!.id;
    const post = async (login: string, step: string, body?: object) =>
      h.http().post(`/api/v1/settlements/${id}/${step}`).set(bearer(await tokenOf(login))).send(body);

    expect((await post('mch.catering', 'approve')).status).toBe(403);
    expect((await post('jxw.manager', 'approve')).status).toBe(403);
    expect((await post('swj.approver', 'approve')).status).toBe(404);
    const early = await post('jxw.approver', 'mark-paid', { paymentRef: 'BANK-20261204-001' });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('SETTLEMENT_STATE_CONFLICT');

    const approved = await post('jxw.approver', 'approve');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: await userId('jxw.approver') });
    const again = await post('jxw.approver', 'approve');
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');

    const before = await payable(poolA);
    const paid = await post('jxw.approver', 'mark-paid', { paymentRef: 'BANK-20261204-001' });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', paymentRef: 'BANK-20261204-001', amountFen: 27_000 });
    const entries = await h.db.query<{ account: string; amount_fen: number; pool_id: string }>(sql`
      SELECT e.account, e.amount_fen, e.pool_id FROM journal_entries e JOIN journal_transactions t ON t.id = e.txn_id
      WHERE t.kind = 'settle' AND t.ref_id = ${id} ORDER BY e.amount_fen`);
    expect(entries).toEqual([
      { account: 'spent', amount_fen: -27_000, pool_id: poolA },
      { account: 'settled', amount_fen: 27_000, pool_id: poolA },
    ]);
    const after = await payable(poolA);
    expect(after.journal.spent).toBe(before.journal.spent - 27_000);
    expect(after.journal.settled).toBe(27_000);
    expect(after.journal.spent).toBe(after.expected);
    const eq = await poolEquation(h, poolA);
    expect(eq.journal.budget).toBe(eq.journal.available + eq.journal.reserved + eq.journal.spent);

    const replay = await post('jxw.approver', 'mark-paid', { paymentRef: 'BANK-20261204-001' });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await post('jxw.approver', 'mark-paid', { paymentRef: 'BANK-OTHER' })).body.code).toBe('SETTLEMENT_STATE_CONFLICT');
    const settles = await h.db.query(sql`SELECT id FROM journal_transactions WHERE kind = 'settle' AND ref_id = ${id}`);
    expect(settles).toHaveLength(1);

    const audit = await h.db.query<{ action: string; actor_user_id: string | null }>(sql`
      SELECT action, actor_user_id FROM audit_log WHERE target_type = 'settlement_batch' AND target_id = ${id} ORDER BY id`);
    expect(audit).toEqual([
      { action: 'settlement.created', actor_user_id: null },
      { action: 'settlement.approved', actor_user_id: await userId('jxw.approver') },
      { action: 'settlement.paid', actor_user_id: await userId('jxw.approver') },
    ]);
  });

  test('when a person created the batch, then that person cannot approve it (four eyes)', async () => {
    const [batch] = await batches('swj.approver', '?businessDay=2026-12-01');
    await h.db.query(sql`UPDATE settlement_batches SET created_by = ${await userId('swj.approver')} WHERE id = ${batch!.id}`);
    const res = await h.http().post(`/api/v1/settlements/${batch!.id}/approve`).set(bearer(await tokenOf('swj.approver')));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FOUR_EYES_REQUIRED');
  });

  test('when the merchant downloads its statement, then it is UTF-8 CSV with a BOM, one line per redemption or reversal in Shanghai time, and the sums match; other merchants see nothing', async () => {
    const own = await batches('mch.catering');
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((b) => b.merchantId === catering)).toBe(true);
    expect(await batches('mch.compute')).toEqual([]);
    expect((await h.http().get('/api/v1/settlements').set(bearer(await tokenOf('mch.catering.cashier')))).status).toBe(403);

    const batch = own.find((b) => b.businessDay === '2026-12-01' && b.issuerId === jxw) as Batch;
    expect((await h.http().get(`/api/v1/settlements/${batch.id}`).set(bearer(await tokenOf('mch.compute')))).status).toBe(404);
    expect((await h.http().get(`/api/v1/settlements/${batch.id}/statement.csv`).set(bearer(await tokenOf('swj.auditor')))).status).toBe(404);
    const detail = await h.http().get(`/api/v1/settlements/${batch.id}`).set(bearer(await tokenOf('mch.catering')));
    expect(detail.body.pools).toEqual([{ poolId: poolA, poolNameZh: expect.any(String), lineCount: 5, amountFen: 27_000 }]);

    const res = await h.http().get(`/api/v1/settlements/${batch.id}/statement.csv`).set(bearer(await tokenOf('mch.catering'))).buffer(true)
      .parse((r, cb) => { const chunks: Buffer[] = []; r.on('data', (c: Buffer) => chunks.push(c)); r.on('end', () => cb(null, Buffer.concat(chunks))); });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    const bytes = res.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes.toString('utf8'), { bom: true }) as string[][];
    const [header, ...rest] = rows;
    expect(header).toEqual(['类型 Type', '时间 Time (Asia/Shanghai)', '券码 Voucher code', '订单号 Order ref', '券池 Pool',
      '订单金额(元) Order amount', '优惠金额(元) Discount']);
    const lines = rest.slice(0, -1);
    const totals = rest[rest.length - 1]!;
    expect(lines).toHaveLength(5);
    expect(lines.filter((l) => l[0] === '冲正 reversal').map((l) => [l[1], l[5], l[6]])).toEqual([['2026-12-01 15:00:00', '-500.00', '-90.00']]);
    expect(lines.map((l) => l[1]).sort()[0]).toBe('2026-12-01 10:00:00');
    expect(lines.some((l) => l[1] === '2026-12-01 23:59:00')).toBe(true);
    const fen = (s: string) => Math.round(Number(s) * 100);
    expect(lines.reduce((s, l) => s + fen(l[6]!), 0)).toBe(27_000);
    expect(totals).toEqual(['合计 Total', '5', '', '', '', '998.00', '270.00']);
  });

  test('when a pool is co-funded 60/40, then the merchant gets one batch per funder whose lines split each discount exactly (remainder to the first funder)', async () => {
    h.clock.set(at(4, 10));
    const funders = [{ code: 'city', nameZh: '市级财政', shareBp: 6000 }, { code: 'pudong', nameZh: '浦东新区', shareBp: 4000 }];
    const pool = (await openPool(h, {
      perHolderMax: 10, budgetFen: 100_000, valueRule: { type: 'balance', amountFen: 10_000 }, funders,
      claimClosesAt: new Date(at(4, 10).getTime() + 5 * DAY_MS).toISOString(),
    })).id;
    const redeemed = [];
    for (const order of [3_333, 1_001, 7]) redeemed.push(await redeemIn(pool, order));
    await reverse(redeemed[1]!.id);

    h.clock.set(at(5, 0, 30));
    const run = await h.services.jobs.run('settlement');
    expect(run.detail).toMatchObject({ groups: 1, batches: 2, lines: 8 });
    const made = await batches('jxw.approver', '?businessDay=2026-12-04');
    const byFunder = Object.fromEntries(made.map((b) => [b.funderCode, b]));
    expect(byFunder.city).toMatchObject({ redemptionCount: 3, reversalCount: 1, redeemedFen: 2_000 + 601 + 5, reversedFen: 601, amountFen: 2_005 });
    expect(byFunder.pudong).toMatchObject({ redemptionCount: 3, reversalCount: 1, redeemedFen: 1_333 + 400 + 2, reversedFen: 400, amountFen: 1_335 });
    expect(byFunder.city!.amountFen + byFunder.pudong!.amountFen).toBe(3_333 + 7);
    const pairs = await h.db.query<{ discount_fen: number; total: number; n: number }>(sql`
      SELECT discount_fen, sum(amount_fen)::bigint AS total, count(*)::int AS n FROM settlement_lines WHERE pool_id = ${pool}
      GROUP BY kind, coalesce(reversal_id, redemption_id), discount_fen`);
    expect(pairs).toHaveLength(4);
    for (const p of pairs) expect(p).toEqual({ discount_fen: p.discount_fen, total: p.discount_fen, n: 2 });
    await expectSettledOnce(cutoff(5));

    for (const b of made) {
      const approve = await h.http().post(`/api/v1/settlements/${b.id}/approve`).set(bearer(await tokenOf('jxw.approver')));
      expect(approve.status).toBe(200);
      const pay = await h.http().post(`/api/v1/settlements/${b.id}/mark-paid`).set(bearer(await tokenOf('jxw.approver')))
        .send({ paymentRef: `BANK-${b.funderCode}-1` });
      expect(pay.status).toBe(200);
    }
    const after = await payable(pool);
    expect(after.journal).toEqual({ spent: 0, settled: 3_340 });
    expect(after.expected).toBe(0);

    const csv = await h.http().get(`/api/v1/settlements/${byFunder.pudong!.id}/statement.csv`).set(bearer(await tokenOf('mch.catering')));
    const rows = parse(csv.text, { bom: true }) as string[][];
    expect(rows[0]!.slice(-2)).toEqual(['出资方 Funder', '出资份额(元) Funder share']);
    expect(rows[rows.length - 1]).toEqual(['合计 Total', '4', '', '', '', '33.40', '33.40', '浦东新区 (pudong)', '13.35']);
  });
});
