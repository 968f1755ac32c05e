import { parse } from 'csv-parse/sync';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { bulkConsumers, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { claimAs, orgIdOf, redeem, scanToken, tokenCache } from '../redemptions/fixtures';

// December 2026 in Shanghai: ten ordinary days, then one crafted pattern per window
const START = new Date('2026-12-01T02:00:00Z');
const at = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 11, day, hh - 8, mm)); // hh:mm Shanghai on 2026-12-day
/** ordinary orders: well above the ¥300 threshold, never within 5% of it */
const ORDERS = [42_000, 55_800, 87_600, 36_900, 120_000];

interface SignalBody {
  kind: string; merchant: { id: string; nameZh: string }; pool: { id: string } | null; holderId: string | null; date: string;
  measure: number; threshold: number; window: { from: string; to: string }; sentenceZh: string; sentenceEn: string;
}

describe('reports: fraud signals fire on crafted patterns and stay quiet on ordinary trade', () => {
  let h: Harness;
  let pool: string;
  let catering: string;
  let consumers: string[];
  let next = 0;
  const tokenOf = tokenCache(() => h);
  /** One redemption at `when` by a fresh consumer (or the given one). */
  const redeemAt = async (when: Date, orderAmountFen: number, holder = consumers[next++] as string) => {
    h.clock.set(when);
    const voucher = await claimAs(h, await tokenOf(holder, 'bulk-pass-1'), pool);
    const res = await redeem(h, await tokenOf('mch.catering.cashier'), { token: scanToken(h, voucher), orderAmountFen });
    if (res.status !== 201) throw new Error(`redeem: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const signals = async (from: string, to: string, login = 'jxw.auditor') => {
    const res = await h.http().get(`/api/v1/reports/signals?from=${from}&to=${to}`).set(bearer(await tokenOf(login)));
    expect(res.status).toBe(200);
    return res.body.signals as SignalBody[];
  };
  const expectWindows = async () => {
    expect(await signals('2026-12-01', '2026-12-10')).toEqual([]);
    const spike = await signals('2026-12-11', '2026-12-11');
    expect(spike).toEqual([expect.objectContaining({
      kind: 'daily_spike', merchant: { id: catering, nameZh: '静安本帮菜馆' }, date: '2026-12-11', measure: 12, threshold: 9,
      window: { from: '2026-12-04', to: '2026-12-11' },
    })]);
    expect(spike[0]!.sentenceZh).toContain('核销 12 笔');
    const threshold = await signals('2026-12-12', '2026-12-13');
    expect(threshold).toEqual([expect.objectContaining({
      kind: 'threshold_cluster', pool: { id: pool, nameZh: expect.any(String) }, measure: 10_000, threshold: 5_000,
      window: { from: '2026-12-12', to: '2026-12-13' },
    })]);
    expect(threshold[0]!.sentenceEn).toContain('just above the ¥300.00 threshold');
    const holder = await signals('2026-12-14', '2026-12-14');
    expect(holder).toEqual([expect.objectContaining({ kind: 'holder_repeat', measure: 5, threshold: 5, pool: { id: pool, nameZh: expect.any(String) } })]);
    expect(holder[0]!.holderId).toMatch(/^[0-9a-f-]{36}$/);
    const night = await signals('2026-12-15', '2026-12-15');
    expect(night).toEqual([expect.objectContaining({ kind: 'night_hours', date: '2026-12-15', measure: 3, threshold: 3 })]);
    expect(await signals('2026-12-11', '2026-12-15', 'swj.auditor')).toEqual([]);
    const all = await signals('2026-12-01', '2026-12-15', 'admin');
    expect(all.map((s) => s.kind).sort()).toEqual(['daily_spike', 'holder_repeat', 'night_hours']);
  };

  beforeAll(async () => {
    // one cashier signs in at every step of the clock: lift the per-minute login limit (real time) for this file
    h = await startHarness({ demo: true, now: START, env: { RATE_LIMIT_LOGIN: '10000' } });
    catering = await orgIdOf(h, 'mch.catering');
    consumers = await bulkConsumers(h, 60);
    pool = (await openPool(h, { perHolderMax: 10, budgetFen: 100 * 9000, claimClosesAt: at(20, 0).toISOString() })).id;
    // days 1–10: three daytime redemptions a day, each by another consumer, orders spread
    for (let day = 1; day <= 10; day++) {
      for (const [i, hour] of [11, 13, 18].entries()) await redeemAt(at(day, hour), ORDERS[(day + i) % ORDERS.length] as number);
    }
    // day 11: twelve redemptions, four times the usual
    for (let i = 0; i < 12; i++) await redeemAt(at(11, 10, i * 40), ORDERS[i % ORDERS.length] as number);
    // days 12–13: ten orders just above the ¥300 threshold (all within 5%)
    for (let i = 0; i < 10; i++) await redeemAt(at(12 + Math.floor(i / 5), 12, i), 30_000 + i * 150);
    // day 14: one holder redeems five vouchers at the merchant
    const regular = consumers[next++] as string;
    for (let i = 0; i < 5; i++) await redeemAt(at(14, 12 + i), ORDERS[i] as number, regular);
    // day 15: three redemptions between 01:00 and 02:00 at a daytime restaurant
    for (const minute of [0, 30, 60]) await redeemAt(at(15, 1, minute), ORDERS[minute % 5] as number);
    h.clock.set(at(15, 12));
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when counted live from the base tables, then each crafted window raises exactly its signal and the ordinary days none', async () => {
    await expectWindows();
  });

  test('when the days are rolled up, then the signals are the same', async () => {
    h.clock.set(at(16, 0, 30));
    const run = await h.services.jobs.run('report-rollups');
    expect(run.detail).toMatchObject({ days: 15, through: '2026-12-15' });
    await expectWindows();
  });

  test('when asked as CSV, then one row per signal with both sentences, UTF-8 with a BOM; managers are refused', async () => {
    const res = await h.http().get('/api/v1/reports/signals?from=2026-12-11&to=2026-12-15&format=csv').set(bearer(await tokenOf('jxw.approver')));
    expect(res.status).toBe(200);
    expect(res.text.charCodeAt(0)).toBe(0xfeff);
    const rows = parse(res.text, { bom: true }) as string[][];
    expect(rows[0]![0]).toBe('类型 Kind');
    // over the whole of days 11–15 only a third of the 满减 orders sit near the threshold: no cluster
    expect(rows.slice(1).map((r) => r[0]).sort()).toEqual(['daily_spike', 'holder_repeat', 'night_hours']);
    expect(rows.slice(1).every((r) => r[8]!.length > 0 && r[9]!.length > 0)).toBe(true);
    expect((await h.http().get('/api/v1/reports/signals').set(bearer(await tokenOf('jxw.manager')))).status).toBe(403);
    expect((await h.http().get('/api/v1/reports/signals?from=2026-11-01&to=2026-12-15').set(bearer(await tokenOf('jxw.auditor')))).body.code)
      .toBe('REPORT_RANGE_INVALID');
  });
});
