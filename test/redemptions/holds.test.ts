import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { claim, orgIdOf, redeem, voucherState, type WalletVoucher } from './fixtures';

const YUAN = 100;

describe('redemption: B2B confirm mode (holds)', () => {
  let h: Harness;
  let poolId: string;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    // 算力券: 30% of the contract, capped at ¥100,000 per voucher
    poolId = (await openPool(h, {
      kind: 'compute', distribution: 'first_come', budgetFen: 1_000_000 * YUAN, perHolderMax: 10,
      valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 100_000 * YUAN },
    })).id;
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  const submit = async (v: WalletVoucher, contractFen: number, extra: Record<string, unknown> = {}) =>
    redeem(h, await h.login('mch.compute.cashier'), {
      token: v.qr.token as string, orderAmountFen: contractFen, orderRef: 'HT-2026-001', contractRef: 'HT-2026-001',
      invoiceNo: '31002600000123', deliveryProof: { acceptanceReport: 'acceptance-2026-11.pdf', sha256: 'ab'.repeat(32), gpuHours: 1200 },
      ...extra,
    });
  const act = async (login: string, id: string, step: 'confirm' | 'reject', body: Record<string, unknown> = {}) =>
    h.http().post(`/api/v1/redemptions/${id}/${step}`).set(bearer(await h.login(login))).send(body);

  test('when the provider submits a ¥200,000 contract, then ¥60,000 is held pending; the enterprise confirms and it is posted', async () => {
    const v = await claim(h, poolId, 'ent.alpha');
    const sub = await submit(v, 200_000 * YUAN);
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({
      status: 'pending', mode: 'confirm', discountFen: 60_000 * YUAN, payFen: 140_000 * YUAN, voucherBalanceAfterFen: 40_000 * YUAN,
      contractRef: 'HT-2026-001', invoiceNo: '31002600000123', postedAt: null,
    });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 40_000 * YUAN, held_fen: 60_000 * YUAN, status: 'active' });

    const pending = await h.http().get('/api/v1/redemptions?status=pending').set(bearer(await h.login('ent.alpha')));
    expect(pending.body.items.map((r: { id: string }) => r.id)).toContain(sub.body.id);
    expect((await act('ent.beta', sub.body.id, 'confirm')).status).toBe(404);
    expect((await act('mch.compute', sub.body.id, 'confirm')).status).toBe(403);

    const confirmed = await act('ent.alpha', sub.body.id, 'confirm');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'posted', decisionReason: null });
    expect(confirmed.body.postedAt).not.toBeNull();
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 40_000 * YUAN, held_fen: 0, status: 'active' });
    const again = await act('ent.alpha', sub.body.id, 'confirm');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(confirmed.body);
    expect((await act('ent.alpha', sub.body.id, 'reject')).body.code).toBe('REDEMPTION_STATE_CONFLICT');
    const kinds = await h.db.query<{ kind: string }>(sql`SELECT kind FROM journal_transactions WHERE ref_id = ${sub.body.id} ORDER BY id`);
    expect(kinds.map((k) => k.kind)).toEqual(['hold', 'hold_confirm']);
  });

  test('when the enterprise rejects, then the hold returns to the voucher balance; a second reject answers the same', async () => {
    const v = await claim(h, poolId, 'ent.alpha');
    const sub = await submit(v, 100_000 * YUAN);
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 70_000 * YUAN, held_fen: 30_000 * YUAN, status: 'active' });
    const rejected = await act('ent.alpha', sub.body.id, 'reject', { reason: '交付物不符合合同约定' });
    expect(rejected.body).toMatchObject({ status: 'rejected', decisionReason: '交付物不符合合同约定' });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 100_000 * YUAN, held_fen: 0, status: 'active' });
    expect((await act('ent.alpha', sub.body.id, 'reject', { reason: 'again' })).body.status).toBe('rejected');
    expect((await act('ent.alpha', sub.body.id, 'confirm')).body.code).toBe('REDEMPTION_STATE_CONFLICT');
  });

  test('when a hold is left unconfirmed for 72 hours, then the hold-void job voids it and the balance returns', async () => {
    const v = await claim(h, poolId, 'ent.alpha');
    const sub = await submit(v, 50_000 * YUAN);
    const start = h.clock.now().getTime();
    try {
      h.clock.set(new Date(start + 71 * HOUR_MS));
      expect((await h.services.jobs.run('hold-void')).detail).toMatchObject({ voided: 0 });
      expect((await voucherState(h, v.id)).held_fen).toBe(15_000 * YUAN);
      h.clock.set(new Date(start + 73 * HOUR_MS));
      const run = await h.services.jobs.run('hold-void');
      expect(run.status).toBe('succeeded');
      expect(run.detail).toMatchObject({ voided: 1, releasedFen: 15_000 * YUAN });
      expect(await voucherState(h, v.id)).toEqual({ balance_fen: 100_000 * YUAN, held_fen: 0, status: 'active' });
      const late = await act('ent.alpha', sub.body.id, 'confirm');
      expect(late.body.code).toBe('REDEMPTION_STATE_CONFLICT');
      expect((await h.services.jobs.run('hold-void')).detail).toMatchObject({ voided: 0 });
      const got = await h.http().get(`/api/v1/redemptions/${sub.body.id}`).set(bearer(await h.login('mch.compute')));
      expect(got.body).toMatchObject({ status: 'voided', decisionReason: 'not confirmed within 72 hours' });
    } finally {
      h.clock.set(new Date(start));
    }
  });

  test('when holds stack on one voucher, then each takes from what is left, and confirm races reject to one outcome', async () => {
    const v = await claim(h, poolId, 'ent.alpha');
    const a = await submit(v, 200_000 * YUAN, { orderRef: 'HT-A' });
    const b = await submit(v, 200_000 * YUAN, { orderRef: 'HT-B' });
    expect(a.body.discountFen).toBe(60_000 * YUAN);
    expect(b.body.discountFen).toBe(40_000 * YUAN); // capped by the 40,000 left
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 0, held_fen: 100_000 * YUAN, status: 'active' });
    const [c, r] = await Promise.all([act('ent.alpha', a.body.id, 'confirm'), act('ent.alpha', a.body.id, 'reject')]);
    const outcomes = [c.body.code ?? c.body.status, r.body.code ?? r.body.status].sort();
    expect([['posted', 'REDEMPTION_STATE_CONFLICT'].sort(), ['rejected', 'REDEMPTION_STATE_CONFLICT'].sort()]).toContainEqual(outcomes);
    await act('ent.alpha', b.body.id, 'confirm');
    const state = await voucherState(h, v.id);
    expect(state.held_fen).toBe(0);
    expect(state.balance_fen).toBe(outcomes.includes('posted') ? 0 : 60_000 * YUAN);
    expect(state.status).toBe(outcomes.includes('posted') ? 'redeemed' : 'active');
    const eq = await poolEquation(h, poolId);
    expect(eq.journal.budget).toBe(eq.journal.available + eq.journal.reserved + eq.journal.spent);
  });

  test('when the provider reverses, then a pending hold is refused and a confirmed one returns to the voucher', async () => {
    const v = await claim(h, poolId, 'ent.alpha');
    const sub = await submit(v, 100_000 * YUAN);
    const reverse = async () => h.http().post(`/api/v1/redemptions/${sub.body.id}/reversal`).set(bearer(await h.login('mch.compute'))).send({});
    expect((await reverse()).body.code).toBe('REDEMPTION_STATE_CONFLICT');
    await act('ent.alpha', sub.body.id, 'confirm');
    const reversed = await reverse();
    expect(reversed.status).toBe(201);
    expect(reversed.body.reversal).toMatchObject({ amountFen: 30_000 * YUAN, destination: 'voucher' });
    expect(await voucherState(h, v.id)).toEqual({ balance_fen: 100_000 * YUAN, held_fen: 0, status: 'active' });
  });

  test('when the contract details are missing, then B2B_DETAILS_REQUIRED; when the voucher is bound to another provider, then NOT_ENROLLED', async () => {
    const v = await claim(h, poolId, 'ent.alpha');
    const missing = await submit(v, 10_000 * YUAN, { contractRef: undefined, invoiceNo: undefined });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('B2B_DETAILS_REQUIRED');
    await h.db.query(sql`UPDATE vouchers SET provider_id = ${await orgIdOf(h, 'mch.catering')} WHERE id = ${v.id}`);
    const other = await submit(v, 10_000 * YUAN);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('NOT_ENROLLED');
    await h.db.query(sql`UPDATE vouchers SET provider_id = ${await orgIdOf(h, 'mch.compute')} WHERE id = ${v.id}`);
    expect((await submit(v, 10_000 * YUAN)).status).toBe(201);
    const tooBig = await submit(v, 10_000 * YUAN, { deliveryProof: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) });
    expect(tooBig.status).toBe(400);
  });
});
