import { parse } from 'csv-parse/sync';
import { addDays, shanghaiDate } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { claimAs, orgIdOf, redeem, scanToken, tokenCache, type WalletVoucher } from '../redemptions/fixtures';

// Tuesday 1 December 2026, 10:00 in Shanghai
const DAY_MS = 24 * HOUR_MS;
const START = new Date('2026-12-01T02:00:00Z');
const at = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 11, day, hh - 8, mm)); // hh:mm Shanghai on 2026-12-day

interface Scope {
  issuers: string[] | 'all';
  poolId?: string;
  kind?: string;
  district?: string;
  category?: string;
  from: string;
  to: string;
}

interface Day {
  date: string; vouchersIssued: number; vouchersRedeemed: number; vouchersExpired: number; discountFen: number; orderValueFen: number;
}

describe('reports (measure 31): figures agree with a recount from the base tables', () => {
  let h: Harness;
  let jxw: string;
  let swj: string;
  let poolA: string;
  let poolB: string;
  let poolC: string;
  const tokenOf = tokenCache(() => h);
  const claimV = async (poolId: string): Promise<WalletVoucher> => claimAs(h, await tokenOf('13800138000'), poolId);
  const redeemV = async (v: WalletVoucher, orderAmountFen: number) => {
    const res = await redeem(h, await tokenOf('mch.catering.cashier'), { token: scanToken(h, v), orderAmountFen });
    if (res.status !== 201) throw new Error(`redeem: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const reverse = async (id: string) => {
    const res = await h.http().post(`/api/v1/redemptions/${id}/reversal`).set(bearer(await tokenOf('mch.catering.cashier'))).send({});
    if (res.status !== 201) throw new Error(`reverse: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const get = async (login: string, path: string) => h.http().get(`/api/v1${path}`).set(bearer(await tokenOf(login)));

  /** The report's figures and series counted directly from vouchers, redemptions, reversals and the journal. */
  const recount = async (s: Scope) => {
    const pools = await h.db.query<{ id: string; issuer_id: string; kind: string; funded: boolean }>(sql`SELECT id, issuer_id, kind, funded FROM pools`);
    const inScope = new Set(pools.filter((p) => (s.issuers === 'all' || s.issuers.includes(p.issuer_id))
      && (!s.poolId || p.id === s.poolId) && (!s.kind || p.kind === s.kind)).map((p) => p.id));
    const merchants = await h.db.query<{ id: string; district: string | null; categories: string[] }>(sql`
      SELECT id, district, categories FROM organisations WHERE type = 'merchant'`);
    const merchantOk = (id: string) => {
      const m = merchants.find((x) => x.id === id);
      return !!m && (!s.district || m.district === s.district) && (!s.category || m.categories.includes(s.category));
    };
    const series = new Map<string, Day>();
    for (let d = s.from; d <= s.to; d = addDays(d, 1)) {
      series.set(d, { date: d, vouchersIssued: 0, vouchersRedeemed: 0, vouchersExpired: 0, discountFen: 0, orderValueFen: 0 });
    }
    const dayOf = (ts: string) => series.get(shanghaiDate(new Date(ts)));
    for (const v of await h.db.query<{ pool_id: string; issued_at: string; status: string; updated_at: string }>(sql`
      SELECT pool_id, issued_at, status, updated_at FROM vouchers`)) {
      if (!inScope.has(v.pool_id)) continue;
      const issued = dayOf(v.issued_at);
      if (issued) issued.vouchersIssued++;
      const expired = v.status === 'expired' ? dayOf(v.updated_at) : undefined;
      if (expired) expired.vouchersExpired++;
    }
    for (const r of await h.db.query<{ pool_id: string; merchant_id: string; posted_at: string | null; discount_fen: number; order_amount_fen: number }>(sql`
      SELECT pool_id, merchant_id, posted_at, discount_fen, order_amount_fen FROM redemptions`)) {
      const d = r.posted_at && inScope.has(r.pool_id) && merchantOk(r.merchant_id) ? dayOf(r.posted_at) : undefined;
      if (!d) continue;
      d.vouchersRedeemed++;
      d.discountFen += r.discount_fen;
      d.orderValueFen += r.order_amount_fen;
    }
    for (const x of await h.db.query<{ pool_id: string; merchant_id: string; created_at: string; amount_fen: number; order_amount_fen: number }>(sql`
      SELECT x.pool_id, x.merchant_id, x.created_at, x.amount_fen, r.order_amount_fen
      FROM redemption_reversals x JOIN redemptions r ON r.id = x.redemption_id`)) {
      const d = inScope.has(x.pool_id) && merchantOk(x.merchant_id) ? dayOf(x.created_at) : undefined;
      if (!d) continue;
      d.vouchersRedeemed--;
      d.discountFen -= x.amount_fen;
      d.orderValueFen -= x.order_amount_fen;
    }
    const bal = { budgetFen: 0, availableFen: 0, reservedFen: 0, spentFen: 0, settledFen: 0 };
    for (const e of await h.db.query<{ pool_id: string; account: string; merchant_id: string | null; fen: number }>(sql`
      SELECT pool_id, account, merchant_id, sum(amount_fen)::bigint AS fen FROM journal_entries GROUP BY 1, 2, 3`)) {
      if (!inScope.has(e.pool_id)) continue;
      if (e.account === 'budget') bal.budgetFen -= e.fen;
      if (e.account === 'available') bal.availableFen += e.fen;
      if (e.account === 'voucher' || e.account === 'hold') bal.reservedFen += e.fen;
      if ((e.account === 'spent' || e.account === 'settled') && merchantOk(e.merchant_id as string)) bal.spentFen += e.fen;
      if (e.account === 'settled' && merchantOk(e.merchant_id as string)) bal.settledFen += e.fen;
    }
    const days = [...series.values()];
    const sum = (k: keyof Omit<Day, 'date'>) => days.reduce((t, d) => t + d[k], 0);
    const issued = sum('vouchersIssued');
    const redeemed = sum('vouchersRedeemed');
    const discountFen = sum('discountFen');
    const orderValueFen = sum('orderValueFen');
    return {
      figures: {
        poolCount: pools.filter((p) => p.funded && inScope.has(p.id)).length, ...bal,
        vouchersIssued: issued, vouchersRedeemed: redeemed, vouchersExpired: sum('vouchersExpired'),
        redemptionRateBp: issued > 0 ? Math.floor((redeemed * 10_000) / issued) : null, discountFen, orderValueFen,
        leverage: discountFen > 0 ? (Math.round((orderValueFen * 100) / discountFen) / 100).toFixed(2) : null,
      },
      series: days,
    };
  };
  const query = (s: Omit<Scope, 'issuers' | 'poolId'> & { issuer?: string }) =>
    '?' + new URLSearchParams(Object.entries(s).filter(([, v]) => v !== undefined) as [string, string][]).toString();

  /** Overview (and pool reports) for several scopes, each equal to its recount. */
  const expectAgreement = async (from: string, to: string) => {
    const cases: { login: string; path: string; scope: Scope }[] = [
      { login: 'jxw.auditor', path: `/reports/overview${query({ from, to })}`, scope: { issuers: [jxw], from, to } },
      { login: 'jxw.manager', path: `/reports/overview${query({ from, to, kind: 'consumption', district: 'jingan' })}`, scope: { issuers: [jxw], kind: 'consumption', district: 'jingan', from, to } },
      { login: 'jxw.approver', path: `/reports/overview${query({ from, to, district: 'pudong' })}`, scope: { issuers: [jxw], district: 'pudong', from, to } },
      { login: 'jxw.auditor', path: `/reports/overview${query({ from, to, category: 'retail' })}`, scope: { issuers: [jxw], category: 'retail', from, to } },
      { login: 'jxw.auditor', path: `/reports/overview${query({ from, to, kind: 'compute' })}`, scope: { issuers: [jxw], kind: 'compute', from, to } },
      { login: 'admin', path: `/reports/overview${query({ from, to })}`, scope: { issuers: 'all', from, to } },
      { login: 'admin', path: `/reports/overview${query({ from, to, issuer: swj, category: 'catering' })}`, scope: { issuers: [swj], category: 'catering', from, to } },
      { login: 'swj.auditor', path: `/reports/overview${query({ from, to })}`, scope: { issuers: [swj], from, to } },
      { login: 'jxw.auditor', path: `/reports/pools/${poolA}${query({ from, to })}`, scope: { issuers: [jxw], poolId: poolA, from, to } },
      { login: 'jxw.auditor', path: `/reports/pools/${poolB}${query({ from, to, district: 'jingan' })}`, scope: { issuers: [jxw], poolId: poolB, district: 'jingan', from, to } },
      { login: 'admin', path: `/reports/pools/${poolC}${query({ from, to })}`, scope: { issuers: 'all', poolId: poolC, from, to } },
    ];
    const reports = [];
    for (const c of cases) {
      const res = await get(c.login, c.path);
      expect(res.status).toBe(200);
      const expected = await recount(c.scope);
      expect({ case: c.path, figures: res.body.figures }).toEqual({ case: c.path, figures: expected.figures });
      expect({ case: c.path, series: res.body.series }).toEqual({ case: c.path, series: expected.series });
      reports.push(res.body);
    }
    return reports;
  };

  beforeAll(async () => {
    h = await startHarness({ demo: true, now: START });
    jxw = await orgIdOf(h, 'jxw.manager');
    swj = await orgIdOf(h, 'swj.manager');
    const closes = new Date(START.getTime() + 20 * DAY_MS).toISOString();
    poolA = (await openPool(h, { perHolderMax: 50, budgetFen: 50 * 9000, claimClosesAt: closes })).id;
    poolB = (await openPool(h, {
      perHolderMax: 50, budgetFen: 100_000, claimClosesAt: closes, valueRule: { type: 'balance', amountFen: 10_000 }, validUntil: at(3, 12).toISOString(),
    })).id;
    poolC = (await openPool(h, { perHolderMax: 50, budgetFen: 50 * 9000, claimClosesAt: closes }, 'swj')).id;

    // day 1: four A vouchers (three redeemed), two B vouchers (one partly used), two C vouchers (one redeemed)
    const a = [await claimV(poolA), await claimV(poolA), await claimV(poolA), await claimV(poolA)];
    await redeemV(a[0]!, 38_800);
    await redeemV(a[1]!, 50_000);
    h.clock.set(at(1, 21));
    await redeemV(a[2]!, 31_000);
    const b = [await claimV(poolB), await claimV(poolB)];
    await redeemV(b[0]!, 4_000);
    const c = [await claimV(poolC), await claimV(poolC)];
    await redeemV(c[0]!, 45_000);
    // day 2: settlement of day 1 is paid; more redemptions, one reversed
    h.clock.set(at(2, 0, 30));
    await h.services.jobs.run('settlement');
    const batch = (await get('jxw.approver', '/settlements?businessDay=2026-12-01')).body.items[0];
    await h.http().post(`/api/v1/settlements/${batch.id}/approve`).set(bearer(await tokenOf('jxw.approver')));
    await h.http().post(`/api/v1/settlements/${batch.id}/mark-paid`).set(bearer(await tokenOf('jxw.approver'))).send({ paymentRef: 'BANK-1' });
    h.clock.set(at(2, 11));
    const a2 = [await claimV(poolA), await claimV(poolA)];
    await redeemV(a2[0]!, 60_000);
    const reversed = await redeemV(a2[1]!, 33_000);
    await reverse(reversed.id);
    await redeemV(b[1]!, 2_500);
    // day 3: the B vouchers expire at noon; one more A voucher is claimed
    h.clock.set(at(3, 13));
    await h.services.jobs.run('voucher-expiry');
    await claimV(poolA);
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when nothing is rolled up yet, then every report (overview and pool, with filters) equals the recount of the base tables', async () => {
    const reports = await expectAgreement('2026-12-01', '2026-12-03');
    const mine = reports[0];
    expect(mine.rollupThrough).toBeNull();
    expect(mine.figures).toMatchObject({ vouchersIssued: 9, vouchersRedeemed: 6, vouchersExpired: 2, discountFen: 4 * 9000 + 6_500 });
    expect(mine.figures.settledFen).toBe(3 * 9000 + 4_000);
    expect(mine.figures.budgetFen).toBe(mine.figures.availableFen + mine.figures.reservedFen + mine.figures.spentFen);
    expect(reports[2].figures).toMatchObject({ spentFen: 0, discountFen: 0, vouchersRedeemed: 0, leverage: null, vouchersIssued: 9 });
  });

  test('when the rollup job has rolled up the closed days, then reports agree with the recount and with the live count, across the rollup boundary', async () => {
    const live = await get('jxw.auditor', '/reports/overview?from=2026-12-01&to=2026-12-03');
    h.clock.set(at(4, 0, 20));
    const run = await h.services.jobs.run('report-rollups');
    expect(run.status).toBe('succeeded');
    expect(run.detail).toMatchObject({ days: 3, through: '2026-12-03' });
    expect((await h.services.jobs.run('report-rollups')).detail).toMatchObject({ days: 0, through: '2026-12-03' });
    const [rows] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM report_daily`);
    expect(rows!.n).toBeGreaterThan(0);

    const rolled = await get('jxw.auditor', '/reports/overview?from=2026-12-01&to=2026-12-03');
    expect(rolled.body.rollupThrough).toBe('2026-12-03');
    expect(rolled.body.series).toEqual(live.body.series);
    expect(rolled.body.figures).toEqual(live.body.figures);

    h.clock.set(at(4, 10));
    await redeemV(await claimV(poolA), 90_000);
    const reports = await expectAgreement('2026-12-01', '2026-12-04');
    expect(reports[0].series.map((d: Day) => d.vouchersRedeemed)).toEqual([4, 2, 0, 1]);
    const pool = reports[8];
    expect(pool.pool).toMatchObject({ id: poolA, kind: 'consumption' });
    expect(pool.merchants).toEqual([expect.objectContaining({ merchantNameZh: '静安本帮菜馆', district: 'jingan', vouchersRedeemed: pool.figures.vouchersRedeemed, discountFen: pool.figures.discountFen, orderValueFen: pool.figures.orderValueFen, leverage: pool.figures.leverage })]);
  });

  test('when a report is asked for as CSV, then it is UTF-8 with a BOM and carries the same figures and series', async () => {
    const json = (await get('jxw.auditor', '/reports/overview?from=2026-12-01&to=2026-12-04')).body;
    const res = await get('jxw.auditor', '/reports/overview?from=2026-12-01&to=2026-12-04&format=csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.text.charCodeAt(0)).toBe(0xfeff);
    const rows = parse(res.text, { bom: true, relax_column_count: true }) as string[][];
    const value = (label: string) => rows.find((r) => r[0] === label)?.[1];
    expect(value('拉动比 Leverage')).toBe(json.figures.leverage);
    expect(value('发放张数 Vouchers issued')).toBe(String(json.figures.vouchersIssued));
    expect(value('补贴金额(元) Discount')).toBe((json.figures.discountFen / 100).toFixed(2));
    const start = rows.findIndex((r) => r[0] === '日期 Date');
    const days = rows.slice(start + 1, -1);
    expect(days.map((r) => r[0])).toEqual(json.series.map((d: Day) => d.date));
    expect(days.map((r) => Number(r[2]))).toEqual(json.series.map((d: Day) => d.vouchersRedeemed));
    expect(rows[rows.length - 1]).toEqual(['合计 Total', String(json.figures.vouchersIssued), String(json.figures.vouchersRedeemed),
      String(json.figures.vouchersExpired), (json.figures.discountFen / 100).toFixed(2), (json.figures.orderValueFen / 100).toFixed(2)]);
    const pool = await get('jxw.auditor', `/reports/pools/${poolA}?format=csv`);
    expect(pool.status).toBe(200);
    expect(pool.text.charCodeAt(0)).toBe(0xfeff);
  });

  test('when someone outside an issuer asks, then 403 for another issuer or a non-issuer role, 404 for another issuer’s pool; a bad range is 400', async () => {
    expect((await get('jxw.auditor', `/reports/overview?issuer=${swj}`)).status).toBe(403);
    expect((await get('jxw.auditor', `/reports/overview?issuer=${jxw}`)).status).toBe(200);
    expect((await get('jxw.auditor', `/reports/pools/${poolC}`)).status).toBe(404);
    expect((await get('mch.catering', '/reports/overview')).status).toBe(403);
    expect((await get('13800138000', '/reports/overview')).status).toBe(403);
    expect((await get('ent.alpha', `/reports/pools/${poolA}`)).status).toBe(403);
    expect((await get('jxw.manager', '/reports/signals')).status).toBe(403);
    const reversed = await get('jxw.auditor', '/reports/overview?from=2026-12-05&to=2026-12-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.code).toBe('REPORT_RANGE_INVALID');
    expect((await get('jxw.auditor', '/reports/overview?from=2025-01-01&to=2026-12-01')).body.code).toBe('REPORT_RANGE_INVALID');
    expect((await get('jxw.auditor', '/reports/overview?district=atlantis')).status).toBe(400);
  });
});
