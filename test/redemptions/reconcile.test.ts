import type { ReconcileReport } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql, type Queryable } from '../../server/src/platform/db';
import { reconcile, RECONCILE_STAGES } from '../../server/src/capabilities/ledger';
import { claim, orgIdOf, redeem, scanToken, type WalletVoucher } from './fixtures';

class Rollback extends Error {}

describe('reconciler', () => {
  let h: Harness;
  let poolId: string;
  let voucher: WalletVoucher;
  let redemptionId: string;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    poolId = (await openPool(h, { perHolderMax: 5, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000 })).id;
    voucher = await claim(h, poolId);
    const cashier = await h.login('mch.catering.cashier');
    redemptionId = (await redeem(h, cashier, { token: scanToken(h, voucher), orderAmountFen: 2_500 })).body.id;
    await claim(h, poolId);
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  /** Corrupts inside a transaction, as a superuser with triggers off would, reconciles there, then rolls back. */
  async function corrupted(corrupt: (tx: Queryable) => Promise<void>): Promise<ReconcileReport> {
    let report: ReconcileReport | null = null;
    await expect(h.db.transaction(async (tx) => {
      await tx.query(sql`SET LOCAL session_replication_role = replica`);
      await corrupt(tx);
      report = await reconcile(tx, h.clock);
      throw new Rollback();
    })).rejects.toBeInstanceOf(Rollback);
    return report as unknown as ReconcileReport;
  }

  test('when the books are clean, then GET /admin/reconcile reports ok for the platform admin only', async () => {
    const res = await h.http().get('/api/v1/admin/reconcile').set(bearer(await h.login('admin')));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, differences: [], truncated: false });
    expect(res.body.checked.vouchers).toBe(2);
    expect(res.body.checked.transactions).toBeGreaterThanOrEqual(4);
    expect((await h.http().get('/api/v1/admin/reconcile').set(bearer(await h.login('jxw.auditor')))).status).toBe(403);
  });

  test('when a rollup is corrupted, then the reconciler names its key and amounts; once repaired it is clean again', async () => {
    const merchantId = await orgIdOf(h, 'mch.catering');
    await h.db.query(sql`UPDATE ledger_rollups SET balance_fen = balance_fen + 100
      WHERE pool_id = ${poolId} AND account = 'spent' AND merchant_id = ${merchantId} AND shard = (
        SELECT min(shard) FROM ledger_rollups WHERE pool_id = ${poolId} AND account = 'spent' AND merchant_id = ${merchantId})`);
    try {
      const res = await h.http().get('/api/v1/admin/reconcile').set(bearer(await h.login('admin')));
      expect(res.body.ok).toBe(false);
      expect(res.body.differences).toEqual([expect.objectContaining({
        check: 'rollup', subject: `pool:${poolId} account:spent merchant:${merchantId}`, expected: 2_500, actual: 2_600,
      })]);
    } finally {
      await h.db.query(sql`UPDATE ledger_rollups SET balance_fen = balance_fen - 100
        WHERE pool_id = ${poolId} AND account = 'spent' AND merchant_id = ${merchantId} AND shard = (
          SELECT min(shard) FROM ledger_rollups WHERE pool_id = ${poolId} AND account = 'spent' AND merchant_id = ${merchantId})`);
    }
    expect((await h.services.ledgerOps.reconcile()).ok).toBe(true);
  });

  test('when a voucher balance is changed behind the ledger, then voucher_balance and pool_reserved differences appear', async () => {
    const report = await corrupted((tx) => tx.query(sql`UPDATE vouchers SET balance_fen = balance_fen - 1 WHERE id = ${voucher.id}`).then(() => undefined));
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual(expect.arrayContaining([
      expect.objectContaining({ check: 'voucher_balance', subject: `voucher:${voucher.id}`, expected: 7_500, actual: 7_499 }),
      expect.objectContaining({ check: 'pool_reserved', subject: `pool:${poolId}` }),
    ]));
  });

  test('when an unbalanced journal entry slips past the disabled trigger, then the transaction, the pool and the rollups are reported', async () => {
    const report = await corrupted(async (tx) => {
      const [t] = await tx.query<{ id: number }>(sql`SELECT id FROM journal_transactions WHERE ref_id = ${redemptionId}`);
      await tx.query(sql`INSERT INTO journal_entries (txn_id, account, pool_id, amount_fen, at)
        VALUES (${t!.id}, 'available', ${poolId}, 500, now())`);
    });
    const checks = new Set(report.differences.map((d) => d.check));
    for (const c of ['txn_unbalanced', 'pool_available', 'pool_budget_equation', 'rollup']) expect(checks).toContain(c);
    expect(report.differences.find((d) => d.check === 'txn_unbalanced')).toMatchObject({ expected: 0, actual: 500 });
  });

  test('when a redemption row disagrees with the journal, then the merchant payable is reported', async () => {
    const report = await corrupted((tx) => tx.query(sql`UPDATE redemptions SET discount_fen = discount_fen + 7, order_amount_fen = order_amount_fen + 7 WHERE id = ${redemptionId}`).then(() => undefined));
    expect(report.differences).toEqual([expect.objectContaining({ check: 'merchant_payable', expected: 2_507, actual: 2_500 })]);
  });

  test('when there are more differences than the report lists, then it is truncated; progress reaches every stage', async () => {
    const seen = new Map<string, [number, number]>();
    const clean = await reconcile(h.db, h.clock, { voucherPageSize: 1, txnPageSize: 2, onProgress: (s, d, t) => seen.set(s, [d, t]) });
    expect(clean.ok).toBe(true);
    expect([...seen.keys()]).toEqual([...RECONCILE_STAGES]);
    for (const [done, total] of seen.values()) expect(done).toBe(total);
    let truncated: ReconcileReport | null = null;
    await expect(h.db.transaction(async (tx) => {
      await tx.query(sql`UPDATE ledger_rollups SET balance_fen = balance_fen + 1 WHERE pool_id = ${poolId}`);
      truncated = await reconcile(tx, h.clock, { differencesMax: 1 });
      throw new Rollback();
    })).rejects.toBeInstanceOf(Rollback);
    expect(truncated).toMatchObject({ ok: false, truncated: true, differences: [expect.anything()] });
  });
});
