/**
 * Migration 0010 converts journal_entries and redemptions, with their rows, into monthly
 * partitioned tables. On a database filled before it (two past months of claims and
 * redemptions), the rows come through unchanged into their months' partitions, every
 * constraint, index and trigger is still there (the primary keys widened by the partition key,
 * the redemption references moved to redemption_keys), the journal's sequence goes on, and the
 * books still reconcile.
 */
import { randomUUID } from 'node:crypto';
import { qrStep } from '@hqt/shared';
import { ledger } from '../../server/src/capabilities/ledger';
import { insertRedemption } from '../../server/src/capabilities/redemptions/redemptions.repository';
import { ManualClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { migrate, readMigrations } from '../../server/src/platform/migrate';
import { bearer, type Harness } from '../helpers/harness';
import { appOver, freshDbForFile } from '../helpers/fresh-db';
import { openPool } from '../helpers/factories';
import { claim, orgIdOf, type WalletVoucher } from '../redemptions/fixtures';

const SEPTEMBER = new Date('2025-09-10T02:00:00Z');
const OCTOBER = new Date('2025-10-02T02:00:00Z');
const TABLES = ['journal_entries', 'redemptions', 'redemption_reversals', 'settlement_lines'];

/**
 * A direct redemption written below the API (the API of this code base reads redemption_keys,
 * which the old schema lacks): the ledger movement and the row, in one transaction.
 */
async function redeemBelowApi(h: Harness, v: WalletVoucher): Promise<string> {
  const merchantId = await orgIdOf(h, 'mch.catering.cashier');
  const [cashier] = await h.db.query<{ id: string }>(sql`SELECT id FROM users WHERE login = 'mch.catering.cashier'`);
  const [c] = await h.db.query<{ pool_id: string; issuer_id: string; holder_kind: 'consumer'; holder_id: string; balance_fen: number; value_type: string }>(sql`
    SELECT v.pool_id, v.issuer_id, v.holder_kind, v.holder_id, v.balance_fen, p.value_type FROM vouchers v JOIN pools p ON p.id = v.pool_id WHERE v.id = ${v.id}`);
  const id = randomUUID();
  const at = h.clock.now();
  await h.db.transaction(async (tx) => {
    const after = await ledger.redeem(tx, {
      poolId: c!.pool_id, voucherId: v.id, merchantId, amountFen: c!.balance_fen, refType: 'redemption', refId: id, at,
      singleUse: c!.value_type === 'fixed',
    });
    const row = await insertRedemption(tx, {
      id, pool_id: c!.pool_id, issuer_id: c!.issuer_id, voucher_id: v.id, merchant_id: merchantId, holder_kind: c!.holder_kind,
      holder_id: c!.holder_id, cashier_id: cashier!.id, mode: 'direct', status: 'posted', order_amount_fen: c!.balance_fen + 10_000,
      discount_fen: c!.balance_fen, balance_after_fen: after!.balanceFen, order_ref: `pre-0010-${id.slice(0, 8)}`,
      token_step: qrStep(at.getTime()), contract_ref: null, invoice_no: null, delivery_proof: null,
      created_at: at.toISOString(), posted_at: at.toISOString(),
    });
    if (!row) throw new Error('redemption refused');
  });
  return id;
}

interface Catalog {
  constraints: Record<string, string>;
  indexes: Record<string, string>;
  triggers: Record<string, string>;
  columns: Record<string, string>;
}

async function catalog(db: Db): Promise<Catalog> {
  const names = sql.join(TABLES.map((t) => sql`${t}`), sql`, `);
  const pairs = async (q: ReturnType<typeof sql>) =>
    Object.fromEntries((await db.query<{ k: string; d: string }>(q)).map((r) => [r.k, r.d]));
  return {
    constraints: await pairs(sql`SELECT c.relname || '.' || k.conname AS k, pg_get_constraintdef(k.oid) AS d
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relname IN (${names})`),
    indexes: await pairs(sql`SELECT i.relname AS k, replace(pg_get_indexdef(x.indexrelid), ' ON ONLY ', ' ON ') AS d
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid WHERE c.relname IN (${names})`),
    triggers: await pairs(sql`SELECT c.relname || '.' || t.tgname AS k, pg_get_triggerdef(t.oid) AS d
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname IN (${names}) AND NOT t.tgisinternal`),
    columns: await pairs(sql`SELECT table_name || '.' || column_name AS k,
        concat_ws(' ', data_type, is_nullable, column_default) AS d
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN (${names})`),
  };
}

async function rowsDigest(db: Db, table: 'journal_entries' | 'redemptions'): Promise<{ n: number; md5: string }> {
  const [row] = await db.query<{ n: number; md5: string }>(sql.raw(
    `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x.id)) AS md5 FROM ${table} x`));
  return row!;
}

async function partitionsOf(db: Db, table: string, where: string): Promise<string[]> {
  const rows = await db.query<{ p: string }>(sql.raw(
    `SELECT DISTINCT tableoid::regclass::text AS p FROM ${table} WHERE ${where} ORDER BY p`));
  return rows.map((r) => r.p);
}

describe('migration 0010: monthly partitions of a database with history', () => {
  const fresh = freshDbForFile();

  test('when 0010 runs on rows of two past months, then they land in their months unchanged, every guard survives, and the books reconcile', async () => {
    const db = fresh.db();
    // every other migration first, up to 0013: the code that fills the database expects them
    // (0014 comes last, below: it drops the journal's foreign key that 0010 re-creates)
    await migrate(db, readMigrations().filter((m) => m.version !== 10 && m.version < 14));
    const clock = new ManualClock(SEPTEMBER);
    const h = await appOver(db, clock);
    const poolA = await openPool(h, { perHolderMax: 5 });
    const [a1, a2] = [await claim(h, poolA.id), await claim(h, poolA.id)];
    const septRedemption = await redeemBelowApi(h, a1);
    clock.set(OCTOBER);
    const poolB = await openPool(h, { perHolderMax: 5 });
    const b1 = await claim(h, poolB.id);
    const octRedemption = await redeemBelowApi(h, b1);
    expect(a2.id).toBeDefined();

    const before = { catalog: await catalog(db), journal: await rowsDigest(db, 'journal_entries'), redemptions: await rowsDigest(db, 'redemptions') };
    const [{ max_id: maxId } = { max_id: 0 }] = await db.query<{ max_id: number }>(sql`SELECT max(id)::bigint AS max_id FROM journal_entries`);
    expect(before.journal.n).toBeGreaterThanOrEqual(8);

    expect(await migrate(db, readMigrations().filter((m) => m.version < 14))).toContain('0010_partitions.sql');

    // the rows, unchanged, in their Asia/Shanghai months
    expect(await rowsDigest(db, 'journal_entries')).toEqual(before.journal);
    expect(await rowsDigest(db, 'redemptions')).toEqual(before.redemptions);
    expect(await partitionsOf(db, 'journal_entries', `pool_id = '${poolA.id}'`)).toEqual(['journal_entries_2025_09']);
    expect(await partitionsOf(db, 'journal_entries', `pool_id = '${poolB.id}'`)).toEqual(['journal_entries_2025_10']);
    expect(await partitionsOf(db, 'redemptions', `id = '${septRedemption}'`)).toEqual(['redemptions_2025_09']);
    expect(await partitionsOf(db, 'redemptions', `id = '${octRedemption}'`)).toEqual(['redemptions_2025_10']);
    const [left] = await db.query<{ n: number }>(sql`
      SELECT (SELECT count(*) FROM journal_entries_default) + (SELECT count(*) FROM redemptions_default) AS n`);
    expect(left!.n).toBe(0);
    const [keys] = await db.query<{ missing: number; n: number }>(sql`
      SELECT count(*) FILTER (WHERE k.id IS NULL)::int AS missing, count(*)::int AS n FROM redemptions r
      LEFT JOIN redemption_keys k ON k.id = r.id AND k.created_at = r.created_at AND k.voucher_id = r.voucher_id
        AND k.token_step IS NOT DISTINCT FROM r.token_step`);
    expect(keys).toEqual({ missing: 0, n: 2 });

    // every constraint, index, trigger and column as it was, but for what partitioning changes
    const after = await catalog(db);
    expect(after.columns).toEqual(before.catalog.columns);
    const changedConstraints = {
      'journal_entries.journal_entries_pkey': 'PRIMARY KEY (id, at)',
      'redemptions.redemptions_pkey': 'PRIMARY KEY (id, created_at)',
      'redemptions.redemptions_key_fkey': 'FOREIGN KEY (id) REFERENCES redemption_keys(id)',
      'redemption_reversals.redemption_reversals_redemption_id_fkey': 'FOREIGN KEY (redemption_id) REFERENCES redemption_keys(id)',
      'settlement_lines.settlement_lines_redemption_id_fkey': 'FOREIGN KEY (redemption_id) REFERENCES redemption_keys(id)',
    };
    expect(after.constraints).toEqual({ ...before.catalog.constraints, ...changedConstraints });
    const { redemptions_token_once: tokenOnce, ...keptIndexes } = before.catalog.indexes;
    expect(tokenOnce).toBe('CREATE UNIQUE INDEX redemptions_token_once ON public.redemptions USING btree (voucher_id, token_step) WHERE (token_step IS NOT NULL)');
    expect(after.indexes).toEqual({
      ...keptIndexes,
      journal_entries_pkey: 'CREATE UNIQUE INDEX journal_entries_pkey ON public.journal_entries USING btree (id, at)',
      redemptions_pkey: 'CREATE UNIQUE INDEX redemptions_pkey ON public.redemptions USING btree (id, created_at)',
    });
    const [moved] = await db.query<{ d: string }>(sql`SELECT pg_get_indexdef('redemption_keys_token_once'::regclass) AS d`);
    expect(moved!.d).toBe(tokenOnce!.replace('redemptions_token_once ON public.redemptions', 'redemption_keys_token_once ON public.redemption_keys'));
    expect(after.triggers).toEqual({
      ...before.catalog.triggers,
      'redemptions.redemptions_key': expect.stringContaining('BEFORE INSERT ON public.redemptions FOR EACH ROW EXECUTE FUNCTION redemption_key_insert()'),
      'redemptions.redemptions_key_frozen': expect.stringContaining('BEFORE UPDATE ON public.redemptions FOR EACH ROW WHEN'),
      'redemptions.redemptions_key_release': expect.stringContaining('AFTER DELETE ON public.redemptions FOR EACH ROW EXECUTE FUNCTION redemption_key_delete()'),
    });
    const [seq] = await db.query<{ s: string }>(sql`SELECT pg_get_serial_sequence('journal_entries', 'id') AS s`);
    expect(seq!.s).toBe('public.journal_entries_id_seq');

    // 0014 on these rows: its check of the stored vouchers and journal passes
    expect(await migrate(db)).toEqual(['0014_statement_references.sql']);

    // the converted rows work through the API: a reversal (its reference now checked by
    // redemption_keys), new claims (journal ids go on from the sequence), and the books reconcile
    clock.set(new Date(OCTOBER.getTime() + 3_600_000));
    const cashier = await h.login('mch.catering.cashier');
    expect((await h.http().post(`/api/v1/redemptions/${octRedemption}/reversal`).set(bearer(cashier)).send({})).status).toBe(201);
    clock.set(new Date());
    const poolC = await openPool(h, { perHolderMax: 5 });
    await claim(h, poolC.id);
    const [next] = await db.query<{ min_id: number }>(sql`SELECT min(id)::bigint AS min_id FROM journal_entries WHERE pool_id = ${poolC.id}`);
    expect(next!.min_id).toBeGreaterThan(maxId);
    const report = await h.services.ledgerOps.reconcile();
    expect(report.differences).toEqual([]);
  });
});
