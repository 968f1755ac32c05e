import { randomUUID } from 'node:crypto';
import { splitByShares, splitSignedByShares, type Funder, type FunderFigures, type PoolFunders } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { claimAs, redeem, scanToken, tokenCache, type WalletVoucher } from '../redemptions/fixtures';

// Tuesday 1 December 2026, 10:00 in Shanghai
const START = new Date('2026-12-01T02:00:00Z');
const at = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 11, day, hh - 8, mm)); // hh:mm Shanghai on 2026-12-day
const FUNDERS: Funder[] = [{ code: 'city', nameZh: '市级财政', shareBp: 6000 }, { code: 'pudong', nameZh: '浦东新区', shareBp: 4000 }];
const FIGURES = ['budgetFen', 'issuedFen', 'reservedFen', 'spentFen', 'settledFen'] as const;

describe('co-funding (市区协同): amounts per funder', () => {
  let h: Harness;
  const tokenOf = tokenCache(() => h);
  const claim = async (poolId: string): Promise<WalletVoucher> => claimAs(h, await tokenOf('13800138000'), poolId);
  const redeemFen = async (v: WalletVoucher, orderAmountFen: number): Promise<{ id: string; discountFen: number }> => {
    h.clock.set(new Date(h.clock.now().getTime() + 31_000)); // a fresh token step: each dynamic token redeems once
    const res = await redeem(h, await tokenOf('mch.catering.cashier'), { token: scanToken(h, v), orderAmountFen });
    if (res.status !== 201) throw new Error(`redeem: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const post = async (login: string, url: string, body: object = {}) => {
    const res = await h.http().post(`/api/v1${url}`).set(bearer(await tokenOf(login))).send(body);
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const funders = async (poolId: string, login = 'jxw.auditor') =>
    h.http().get(`/api/v1/pools/${poolId}/funders`).set(bearer(await tokenOf(login)));

  beforeAll(async () => {
    h = await startHarness({ demo: true, now: START });
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  /** What each funder's figures must be: every journal entry of the pool split in JS, settled from the paid settlement lines. */
  async function expectedInJs(poolId: string): Promise<Record<string, FunderFigures>> {
    const entries = await h.db.query<{ account: string; kind: string; amount_fen: number }>(sql`
      SELECT e.account, t.kind, e.amount_fen FROM journal_entries e JOIN journal_transactions t ON t.id = e.txn_id WHERE e.pool_id = ${poolId}`);
    const out: Record<string, FunderFigures> = {};
    for (const f of FUNDERS) out[f.code] = { budgetFen: 0, issuedFen: 0, reservedFen: 0, spentFen: 0, settledFen: 0 };
    for (const e of entries) {
      for (const part of splitSignedByShares(e.amount_fen, FUNDERS)) {
        const fig = out[part.code]!;
        if (e.account === 'budget') fig.budgetFen -= part.amountFen;
        if (e.account === 'voucher' && e.kind === 'issue') fig.issuedFen += part.amountFen;
        if (e.account === 'voucher' || e.account === 'hold') fig.reservedFen += part.amountFen;
        if (e.account === 'spent' || e.account === 'settled') fig.spentFen += part.amountFen;
      }
    }
    const settled = await h.db.query<{ funder_code: string; fen: number }>(sql`
      SELECT l.funder_code, sum(l.amount_fen)::bigint AS fen FROM settlement_lines l JOIN settlement_batches b ON b.id = l.batch_id
      WHERE l.pool_id = ${poolId} AND b.status = 'paid' GROUP BY 1`);
    for (const s of settled) out[s.funder_code]!.settledFen = s.fen;
    return out;
  }

  test('when a 60/40 pool issues 333-fen vouchers and redeems 101 fen at a time, then each funder gets its exact split and the funders add up to the pool', async () => {
    const pool = (await openPool(h, {
      perHolderMax: 20, budgetFen: 100_000, valueRule: { type: 'balance', amountFen: 333 }, funders: FUNDERS,
      claimClosesAt: new Date(START.getTime() + 5 * 24 * HOUR_MS).toISOString(),
    })).id;
    const vouchers: WalletVoucher[] = [];
    for (let i = 0; i < 6; i++) vouchers.push(await claim(pool));
    const [v1, v2, v3, v4] = vouchers as [WalletVoucher, WalletVoucher, WalletVoucher, WalletVoucher];
    for (const v of [v1, v1, v1, v2]) expect((await redeemFen(v, 101)).discountFen).toBe(101);
    const reversed = await redeemFen(v3, 101);
    await post('mch.catering.cashier', `/redemptions/${reversed.id}/reversal`);
    await post('jxw.manager', `/vouchers/${v4.id}/revoke`, { reason: '重复领取' });

    // day 1 is settled and paid (one batch per funder); day 2 redeems once more, not settled yet
    h.clock.set(at(2, 0, 30));
    expect((await h.services.jobs.run('settlement')).status).toBe('succeeded');
    const batches = await h.http().get('/api/v1/settlements?businessDay=2026-12-01').set(bearer(await tokenOf('jxw.approver')));
    expect(batches.body.items.map((b: { funderCode: string }) => b.funderCode).sort()).toEqual(['city', 'pudong']);
    for (const b of batches.body.items as { id: string; funderCode: string }[]) {
      await post('jxw.approver', `/settlements/${b.id}/approve`);
      await post('jxw.approver', `/settlements/${b.id}/mark-paid`, { paymentRef: `BANK-${b.funderCode}` });
    }
    h.clock.set(at(2, 10));
    await redeemFen(v2, 101);

    const res = await funders(pool);
    expect(res.status).toBe(200);
    const body = res.body as PoolFunders;
    expect(body.implicit).toBe(false);
    expect(body.funders.map((f) => [f.code, f.nameZh, f.shareBp])).toEqual(FUNDERS.map((f) => [f.code, f.nameZh, f.shareBp]));
    const [city, pudong] = body.funders;
    // 333 = 200 + 133 (⌊133.2⌋, remainder to the first funder); 101 = 61 + 40
    expect(city).toMatchObject({ budgetFen: 60_000, issuedFen: 6 * 200, spentFen: 5 * 61, settledFen: 4 * 61, reservedFen: 1200 - 6 * 61 + 61 - 200 });
    expect(pudong).toMatchObject({ budgetFen: 40_000, issuedFen: 6 * 133, spentFen: 5 * 40, settledFen: 4 * 40, reservedFen: 798 - 6 * 40 + 40 - 133 });
    expect(body.totals).toEqual({ budgetFen: 100_000, issuedFen: 6 * 333, reservedFen: 6 * 333 - 6 * 101 + 101 - 333, spentFen: 5 * 101, settledFen: 4 * 101 });

    for (const key of FIGURES) expect(body.funders.reduce((s, f) => s + f[key], 0)).toBe(body.totals[key]);
    const js = await expectedInJs(pool);
    for (const f of body.funders) expect({ code: f.code, ...pick(f) }).toEqual({ code: f.code, ...js[f.code as string] });
    // and each voucher amount split alone gives the same issued shares
    expect(splitByShares(333, FUNDERS)).toEqual([{ code: 'city', amountFen: 200 }, { code: 'pudong', amountFen: 133 }]);

    const figures = await h.http().get(`/api/v1/pools/${pool}`).set(bearer(await tokenOf('jxw.auditor')));
    expect({ budgetFen: figures.body.budgetFen, reservedFen: figures.body.reservedFen, spentFen: figures.body.spentFen })
      .toEqual({ budgetFen: body.totals.budgetFen, reservedFen: body.totals.reservedFen, spentFen: body.totals.spentFen });
  });

  test('when a pool has no funders, then it answers one implicit funder, the issuer, with 100% of every figure', async () => {
    const pool = await openPool(h, { perHolderMax: 5, claimClosesAt: new Date(h.clock.now().getTime() + 24 * HOUR_MS).toISOString() });
    await claim(pool.id);
    const [issuer] = await h.db.query<{ name_zh: string }>(sql`SELECT name_zh FROM organisations WHERE id = ${pool.issuerId as string}`);
    const res = await funders(pool.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      poolId: pool.id, implicit: true,
      funders: [{ code: null, nameZh: issuer!.name_zh, shareBp: 10_000, budgetFen: 450_000, issuedFen: 9000, reservedFen: 9000, spentFen: 0, settledFen: 0 }],
      totals: { budgetFen: 450_000, issuedFen: 9000, reservedFen: 9000, spentFen: 0, settledFen: 0 },
    });
  });

  test('when someone outside the issuer asks, then another issuer gets 404, holders and merchants 403; the platform admin may read', async () => {
    const pool = await openPool(h, { claimClosesAt: new Date(h.clock.now().getTime() + 24 * HOUR_MS).toISOString() });
    expect((await funders(pool.id, 'swj.auditor')).status).toBe(404);
    expect((await funders(pool.id, 'swj.manager')).body.code).toBe('NOT_FOUND');
    expect((await funders(pool.id, '13800138000')).status).toBe(403);
    expect((await funders(pool.id, 'mch.catering')).status).toBe(403);
    expect((await funders(randomUUID(), 'jxw.auditor')).status).toBe(404);
    expect((await funders(pool.id, 'admin')).status).toBe(200);
    expect((await funders(pool.id, 'jxw.manager')).status).toBe(200);
    expect((await funders(pool.id, 'jxw.approver')).body.funders).toHaveLength(1);
  });
});

function pick(f: FunderFigures): FunderFigures {
  return { budgetFen: f.budgetFen, issuedFen: f.issuedFen, reservedFen: f.reservedFen, spentFen: f.spentFen, settledFen: f.settledFen };
}
