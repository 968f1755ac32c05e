import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { claim, poolAvailable, redeem, scanToken, voucherState } from './fixtures';

describe('voucher expiry job', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when vouchers pass their validity, then each remaining balance returns to available exactly, spent and held amounts stay', async () => {
    const start = h.clock.now().getTime();
    const validUntil = new Date(start + 5 * HOUR_MS).toISOString();
    const fixed = await openPool(h, { perHolderMax: 5, validUntil });
    const stored = await openPool(h, { perHolderMax: 5, validUntil, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000 });
    const b2b = await openPool(h, {
      kind: 'compute', distribution: 'first_come', budgetFen: 1_000_000, perHolderMax: 5, validUntil,
      valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 100_000 },
    });
    const cashier = await h.login('mch.catering.cashier');
    const unused = await claim(h, fixed.id);
    const spent = await claim(h, fixed.id);
    expect((await redeem(h, cashier, { token: scanToken(h, spent), orderAmountFen: 30_000 })).status).toBe(201);
    const partly = await claim(h, stored.id);
    expect((await redeem(h, cashier, { token: scanToken(h, partly), orderAmountFen: 3_456 })).status).toBe(201);
    const held = await claim(h, b2b.id, 'ent.alpha');
    const hold = await redeem(h, await h.login('mch.compute.cashier'), {
      token: held.qr.token as string, orderAmountFen: 100_000, contractRef: 'C-1', invoiceNo: 'INV-1',
    });
    expect(hold.body.status).toBe('pending');

    const before = { fixed: await poolAvailable(h, fixed.id), stored: await poolAvailable(h, stored.id), b2b: await poolAvailable(h, b2b.id) };
    try {
      h.clock.set(new Date(start + 5 * HOUR_MS - 1));
      expect((await h.services.jobs.run('voucher-expiry')).detail).toMatchObject({ expired: 0 });
      h.clock.set(new Date(start + 5 * HOUR_MS));
      const run = await h.services.jobs.run('voucher-expiry');
      expect(run.status).toBe('succeeded');
      expect(run.detail).toMatchObject({ expired: 2, releasedFen: 9_000 + 6_544 });
      expect(await poolAvailable(h, fixed.id)).toBe(before.fixed + 9_000);
      expect(await poolAvailable(h, stored.id)).toBe(before.stored + 6_544);
      expect(await poolAvailable(h, b2b.id)).toBe(before.b2b);
      expect(await voucherState(h, unused.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'expired' });
      expect(await voucherState(h, spent.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'redeemed' });
      expect(await voucherState(h, partly.id)).toEqual({ balance_fen: 0, held_fen: 0, status: 'expired' });
      // a voucher with a pending hold waits for the holder's decision
      expect(await voucherState(h, held.id)).toEqual({ balance_fen: 70_000, held_fen: 30_000, status: 'active' });
      const eq = await poolEquation(h, stored.id);
      expect(eq.journal).toEqual({ budget: 100_000, available: 100_000 - 3_456, reserved: 0, spent: 3_456 });

      const reject = await h.http().post(`/api/v1/redemptions/${hold.body.id}/reject`).set(bearer(await h.login('ent.alpha'))).send({});
      expect(reject.body.status).toBe('rejected');
      const next = await h.services.jobs.run('voucher-expiry');
      expect(next.detail).toMatchObject({ expired: 1, releasedFen: 100_000 });
      expect(await poolAvailable(h, b2b.id)).toBe(before.b2b + 100_000);
      expect((await h.services.jobs.run('voucher-expiry')).detail).toMatchObject({ expired: 0, releasedFen: 0 });
    } finally {
      h.clock.set(new Date(start));
    }
  });

  test('when more vouchers are due than one batch holds, then they expire batch by batch, each batch its own transaction', async () => {
    const start = h.clock.now().getTime();
    const pool = await openPool(h, { perHolderMax: 10, validUntil: new Date(start + HOUR_MS).toISOString() });
    for (let i = 0; i < 7; i++) await claim(h, pool.id);
    const before = await poolAvailable(h, pool.id);
    try {
      h.clock.set(new Date(start + HOUR_MS));
      const r = await h.services.ledgerOps.expireDueVouchers(3);
      expect(r).toEqual({ expired: 7, releasedFen: 7 * 9_000, batches: 3 });
      expect(await poolAvailable(h, pool.id)).toBe(before + 7 * 9_000);
      const [n] = await h.db.query<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM journal_transactions WHERE kind = 'release' AND ref_type = 'expiry' AND pool_id = ${pool.id}`);
      expect(n!.n).toBe(7);
    } finally {
      h.clock.set(new Date(start));
    }
  });
});
