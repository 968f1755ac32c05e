/**
 * Monthly partitions of journal_entries and redemptions (migration 0010, job `partitions`):
 * rows land in their Asia/Shanghai month's partition, or in the DEFAULT partition until the job
 * gives that month its own and moves them; the ledger's and redemptions' database guards hold
 * through the parent and through each partition.
 */
import { randomUUID } from 'node:crypto';
import { startHarness, type Harness } from '../helpers/harness';
import { openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql, type Queryable } from '../../server/src/platform/db';
import { ensureMonthPartitions, monthsFrom } from '../../server/src/jobs/partitions.job';
import { insertRedemption, type RedemptionRow } from '../../server/src/capabilities/redemptions/redemptions.repository';
import { bearer } from '../helpers/harness';
import { claim, orgIdOf, redeem, scanToken } from '../redemptions/fixtures';

class Rollback extends Error {}

/** The partition (table) a row lives in. */
async function partitionOf(h: Harness, table: 'journal_entries' | 'redemptions', where: string, value: string): Promise<string[]> {
  const rows = await h.db.query<{ p: string }>(sql`
    SELECT DISTINCT tableoid::regclass::text AS p FROM ${sql.raw(table)} WHERE ${sql.raw(where)} = ${value}::uuid ORDER BY p`);
  return rows.map((r) => r.p);
}

/** The suffix of the partition of the Asia/Shanghai month of `at` and `ahead` months on: 2026_11. */
function monthOf(at: Date, ahead = 0): string {
  return monthsFrom(at, ahead)[ahead]!.slice(0, 7).replace('-', '_');
}

async function partitions(h: Harness, table: string): Promise<string[]> {
  const rows = await h.db.query<{ c: string }>(sql`
    SELECT inhrelid::regclass::text AS c FROM pg_inherits WHERE inhparent = ${table}::regclass ORDER BY c`);
  return rows.map((r) => r.c);
}

/** Runs `fn` in a transaction that is always rolled back; returns what it returned. */
async function rolledBack<T>(h: Harness, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let out: T | undefined;
  await expect(h.db.transaction(async (tx) => {
    out = await fn(tx);
    throw new Rollback();
  })).rejects.toBeInstanceOf(Rollback);
  return out as T;
}

describe('monthly partitions', () => {
  let h: Harness;
  let poolId: string;
  let cashier: string;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    poolId = (await openPool(h, { perHolderMax: 10, budgetFen: 20 * 9000 })).id;
    cashier = await h.login('mch.catering.cashier');
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when the catalog is read, then both tables are range-partitioned on their time column, with a DEFAULT partition and this month', async () => {
    const keys = await h.db.query<{ t: string; strategy: string; key: string }>(sql`
      SELECT p.partrelid::regclass::text AS t, p.partstrat AS strategy, a.attname AS key
      FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
      WHERE p.partrelid IN ('journal_entries'::regclass, 'redemptions'::regclass) ORDER BY t`);
    expect(keys).toEqual([
      { t: 'journal_entries', strategy: 'r', key: 'at' },
      { t: 'redemptions', strategy: 'r', key: 'created_at' },
    ]);
    for (const t of ['journal_entries', 'redemptions']) {
      expect(await partitions(h, t)).toEqual(expect.arrayContaining([`${t}_default`, `${t}_${monthOf(h.clock.now())}`, `${t}_${monthOf(h.clock.now(), 1)}`]));
    }
    await ensureMonthPartitions(h.db, new Date('2030-01-15T00:00:00Z'), 1);
    const [bounds] = await h.db.query<{ b: string }>(sql`
      SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE relname = 'journal_entries_2030_02'`);
    // Asia/Shanghai months: 2030-02-01 00:00 +08 is 2030-01-31 16:00 UTC
    expect(bounds?.b).toBe("FOR VALUES FROM ('2030-01-31 16:00:00+00') TO ('2030-02-28 16:00:00+00')");
  });

  test('when a voucher is claimed and redeemed, then its journal entries and its redemption land in this month’s partition', async () => {
    const v = await claim(h, poolId);
    const res = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 40_000 });
    expect(res.status).toBe(201);
    expect(await partitionOf(h, 'journal_entries', 'voucher_id', v.id)).toEqual([`journal_entries_${monthOf(h.clock.now())}`]);
    expect(await partitionOf(h, 'redemptions', 'id', res.body.id)).toEqual([`redemptions_${monthOf(h.clock.now())}`]);
    const [key] = await h.db.query(sql`SELECT voucher_id, token_step FROM redemption_keys WHERE id = ${res.body.id}`);
    expect(key).toEqual({ voucher_id: v.id, token_step: expect.any(Number) });
  });

  test('when a journal insert does not balance, then the database refuses it through the parent, a month partition and the DEFAULT partition', async () => {
    const [t] = await h.db.query<{ id: number }>(sql`SELECT id FROM journal_transactions WHERE pool_id = ${poolId} ORDER BY id LIMIT 1`);
    for (const [table, at] of [['journal_entries', h.clock.now().toISOString()], [`journal_entries_${monthOf(h.clock.now())}`, h.clock.now().toISOString()],
      ['journal_entries_default', '2031-05-05T00:00:00Z']] as const) {
      await expect(h.db.query(sql`INSERT INTO ${sql.raw(table)} (txn_id, account, pool_id, amount_fen, at)
        VALUES (${t!.id}, 'available', ${poolId}, 500, ${at})`)).rejects.toThrow(/does not balance/);
    }
    // a balanced pair in one statement passes (and is rolled back here)
    await rolledBack(h, (tx) => tx.query(sql`INSERT INTO journal_entries (txn_id, account, pool_id, amount_fen, at)
      VALUES (${t!.id}, 'available', ${poolId}, 500, now()), (${t!.id}, 'available', ${poolId}, -500, now())`));
  });

  test('when journal entries are updated or deleted, through the parent or a partition, then the database refuses', async () => {
    await expect(h.db.query(sql`UPDATE journal_entries SET amount_fen = amount_fen WHERE pool_id = ${poolId}`)).rejects.toThrow(/append-only/);
    await expect(h.db.query(sql`DELETE FROM journal_entries WHERE pool_id = ${poolId}`)).rejects.toThrow(/append-only/);
    await expect(h.db.query(sql.raw(`DELETE FROM journal_entries_${monthOf(h.clock.now())}`))).rejects.toThrow(/append-only/);
  });

  test('when a second redemption uses a voucher’s token step, even from another month, then redemption_keys refuses it', async () => {
    const v = await claim(h, poolId);
    const first = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 40_000 });
    expect(first.status).toBe(201);
    const [row] = await h.db.query<RedemptionRow>(sql`SELECT * FROM redemptions WHERE id = ${first.body.id}`);
    const copy = { ...row!, id: randomUUID(), created_at: '2031-05-05T00:00:00.000Z', posted_at: '2031-05-05T00:00:00.000Z' };
    await expect(rolledBack(h, (tx) => insertRedemption(tx, copy))).resolves.toBeNull();
    await expect(h.db.query(sql`INSERT INTO redemptions SELECT (json_populate_record(NULL::redemptions, ${JSON.stringify(copy)}::json)).*`))
      .rejects.toThrow(/redemption_keys_token_once/);
    // the same id again, in another month: refused by the global key
    const sameId = { ...copy, token_step: null, id: row!.id };
    await expect(h.db.query(sql`INSERT INTO redemptions SELECT (json_populate_record(NULL::redemptions, ${JSON.stringify(sameId)}::json)).*`))
      .rejects.toThrow(/redemption_keys_pkey/);
    expect(await h.db.query(sql`SELECT id FROM redemptions WHERE voucher_id = ${v.id}`)).toHaveLength(1);
  });

  test('when a redemption is reversed, then a second reversal, a reversal of nothing, deleting it and moving its key fields are refused', async () => {
    const v = await claim(h, poolId);
    const r = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 40_000 });
    const reversed = await h.http().post(`/api/v1/redemptions/${r.body.id}/reversal`).set(bearer(cashier)).send({});
    expect(reversed.status).toBe(201);
    const [x] = await h.db.query<Record<string, unknown>>(sql`SELECT * FROM redemption_reversals WHERE redemption_id = ${r.body.id}`);
    const again = { ...x!, id: randomUUID() };
    await expect(h.db.query(sql`INSERT INTO redemption_reversals
      SELECT (json_populate_record(NULL::redemption_reversals, ${JSON.stringify(again)}::json)).*`)).rejects.toThrow(/redemption_reversals_redemption_id_key/);
    const orphan = { ...x!, id: randomUUID(), redemption_id: randomUUID() };
    await expect(h.db.query(sql`INSERT INTO redemption_reversals
      SELECT (json_populate_record(NULL::redemption_reversals, ${JSON.stringify(orphan)}::json)).*`)).rejects.toThrow(/redemption_reversals_redemption_id_fkey/);
    await expect(h.db.query(sql`DELETE FROM redemptions WHERE id = ${r.body.id}`)).rejects.toThrow(/redemption_reversals_redemption_id_fkey/);
    await expect(h.db.query(sql`UPDATE redemptions SET created_at = created_at - interval '40 days' WHERE id = ${r.body.id}`)).rejects.toThrow(/fixed/);
    await expect(h.db.query(sql`UPDATE redemptions SET token_step = token_step + 1 WHERE id = ${r.body.id}`)).rejects.toThrow(/fixed/);
    await expect(h.db.query(sql`UPDATE redemption_keys SET token_step = 0 WHERE id = ${r.body.id}`)).rejects.toThrow(/append-only/);
    await expect(h.db.query(sql`DELETE FROM redemption_keys WHERE id = ${r.body.id}`)).rejects.toThrow(/foreign key/);
  });

  test('when an unreferenced redemption is deleted, then its key row goes with it and its token step is free again', async () => {
    const v = await claim(h, poolId);
    const r = await redeem(h, cashier, { token: scanToken(h, v), orderAmountFen: 40_000 });
    const left = await rolledBack(h, async (tx) => {
      await tx.query(sql`DELETE FROM redemptions WHERE id = ${r.body.id}`);
      return tx.query(sql`SELECT 1 FROM redemption_keys WHERE id = ${r.body.id}`);
    });
    expect(left).toEqual([]);
  });

  test('when rows reach a month without a partition, then they wait in the DEFAULT partition until the job gives the month its own', async () => {
    const later = new Date('2031-06-10T02:00:00Z');
    expect(await partitions(h, 'journal_entries')).not.toContain('journal_entries_2031_06');
    h.clock.set(later);
    try {
      const cashierThen = await h.login('mch.catering.cashier');
      const pool = await openPool(h, { perHolderMax: 5, budgetFen: 5 * 9000 });
      const v = await claim(h, pool.id);
      const r = await redeem(h, cashierThen, { token: scanToken(h, v), orderAmountFen: 40_000 });
      expect(r.status).toBe(201);
      expect(await partitionOf(h, 'journal_entries', 'voucher_id', v.id)).toEqual(['journal_entries_default']);
      expect(await partitionOf(h, 'redemptions', 'id', r.body.id)).toEqual(['redemptions_default']);

      const run = await h.services.jobs.run('partitions');
      expect(run.status).toBe('succeeded');
      expect(run.detail).toMatchObject({
        created: ['journal_entries_2031_06', 'journal_entries_2031_07', 'journal_entries_2031_08', 'journal_entries_2031_09',
          'redemptions_2031_06', 'redemptions_2031_07', 'redemptions_2031_08', 'redemptions_2031_09'],
        defaultRows: { journal_entries: 0, redemptions: 0 },
      });
      expect((run.detail as { moved: number }).moved).toBeGreaterThanOrEqual(5);
      expect(await partitionOf(h, 'journal_entries', 'voucher_id', v.id)).toEqual(['journal_entries_2031_06']);
      expect(await partitionOf(h, 'redemptions', 'id', r.body.id)).toEqual(['redemptions_2031_06']);

      // the moved redemption is still found, still guarded, and still reversible
      expect((await h.http().get(`/api/v1/redemptions/${r.body.id}`).set(bearer(cashierThen))).status).toBe(200);
      expect((await redeem(h, cashierThen, { token: scanToken(h, v), orderAmountFen: 40_000 })).body.code).toMatch(/TOKEN_REPLAYED|VOUCHER_NOT_ACTIVE/);
      expect((await h.http().post(`/api/v1/redemptions/${r.body.id}/reversal`).set(bearer(cashierThen)).send({})).status).toBe(201);
      const [t] = await h.db.query<{ id: number }>(sql`SELECT txn_id AS id FROM journal_entries WHERE voucher_id = ${v.id} LIMIT 1`);
      await expect(h.db.query(sql`INSERT INTO journal_entries_2031_06 (txn_id, account, pool_id, amount_fen, at)
        VALUES (${t!.id}, 'available', ${pool.id}, 1, ${later.toISOString()})`)).rejects.toThrow(/does not balance/);
      await expectReconciled(h);
    } finally {
      h.clock.set(new Date());
    }
  });

  test('when the partitions job runs again, then it creates nothing; months ahead follow the clock', async () => {
    const again = await ensureMonthPartitions(h.db, new Date('2031-06-20T00:00:00Z'), 3);
    expect(again).toMatchObject({ created: [], moved: 0, balanceTriggersAdded: 0 });
    const ahead = await ensureMonthPartitions(h.db, new Date('2031-06-20T00:00:00Z'), 4);
    expect(ahead.created).toEqual(['journal_entries_2031_10', 'redemptions_2031_10']);
    // 2027-12-31T17:00Z is already January in Shanghai
    expect(monthsFrom(new Date('2027-12-31T17:00:00Z'), 2)).toEqual(['2028-01-01', '2028-02-01', '2028-03-01']);
  });

  test('when the partitions job is scheduled twice for one slot, then it runs once', async () => {
    const slot = '2026-11-28T04:10';
    const first = await h.services.jobs.run('partitions', 'schedule', slot);
    const second = await h.services.jobs.run('partitions', 'schedule', slot);
    expect(first.status).toBe('succeeded');
    expect(second).toMatchObject({ status: 'skipped', detail: { reason: `slot ${slot} already ran` } });
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM job_runs WHERE job = 'partitions' AND slot = ${slot}`);
    expect(n!.n).toBe(1);
  });

  test('when a journal partition is attached by hand, then the job gives it the balance trigger', async () => {
    await h.db.query(sql`CREATE TABLE journal_entries_hand (LIKE journal_entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await h.db.query(sql`ALTER TABLE journal_entries ATTACH PARTITION journal_entries_hand
      FOR VALUES FROM ('2035-01-01 00:00:00+00') TO ('2035-02-01 00:00:00+00')`);
    const r = await ensureMonthPartitions(h.db, h.clock.now(), 3);
    expect(r.balanceTriggersAdded).toBe(1);
    const [t] = await h.db.query<{ id: number }>(sql`SELECT id FROM journal_transactions WHERE pool_id = ${poolId} ORDER BY id LIMIT 1`);
    await expect(h.db.query(sql`INSERT INTO journal_entries_hand (txn_id, account, pool_id, amount_fen, at)
      VALUES (${t!.id}, 'available', ${poolId}, 1, '2035-01-05T00:00:00Z')`)).rejects.toThrow(/does not balance/);
  });

  test('when the merchant lists its redemptions, then rows from every partition come back newest first', async () => {
    const merchantId = await orgIdOf(h, 'mch.catering');
    const res = await h.http().get('/api/v1/redemptions?limit=100').set(bearer(cashier));
    expect(res.status).toBe(200);
    const items = res.body.items as { createdAt: string; merchantId: string }[];
    expect(items.length).toBeGreaterThanOrEqual(4);
    expect(items.every((i) => i.merchantId === merchantId)).toBe(true);
    expect(items.map((i) => i.createdAt)).toEqual([...items.map((i) => i.createdAt)].sort().reverse());
  });
});
