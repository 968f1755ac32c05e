/** SQL of the ledger: journal rows, rollups, and the live balances that guard overspending. */
import { sql, type Queryable } from '../../platform/db';
import type { Account, JournalTxn } from './ledger.types';

export const NO_MERCHANT = '00000000-0000-0000-0000-000000000000';
const ROLLUP_SHARDS = 16;

export interface RollupDelta {
  poolId: string;
  account: Account;
  merchantId: string;
  amountFen: number;
}

/**
 * Writes journal transactions, all their entries and the rollup deltas in ONE statement, so
 * a posting is one round trip however many movements it holds. Columns travel as arrays
 * (one parameter each), so the text stays the same and the statement does not grow with
 * the batch. The balance trigger checks the entries per statement; the rollups are updated
 * in the deltas' order (sorted by the caller), so two writers never deadlock.
 */
export async function insertJournal(tx: Queryable, txns: JournalTxn[], deltas: RollupDelta[]): Promise<{ txns: number; entries: number }> {
  const entryOrd: number[] = [], accounts: string[] = [], entryPools: string[] = [], voucherIds: (string | null)[] = [];
  const merchantIds: (string | null)[] = [], amounts: number[] = [], entryAts: string[] = [];
  txns.forEach((t, i) => {
    for (const e of t.entries) {
      entryOrd.push(i + 1); accounts.push(e.account); entryPools.push(t.poolId); voucherIds.push(e.voucherId ?? null);
      merchantIds.push(e.merchantId ?? null); amounts.push(e.amountFen); entryAts.push(t.at.toISOString());
    }
  });
  const p = sql.param;
  const shard = Math.floor(Math.random() * ROLLUP_SHARDS);
  const [row] = await tx.query<{ txns: number; entries: number }>(sql`
    WITH ids AS MATERIALIZED (
      SELECT ord::int AS ord, nextval('journal_transactions_id_seq')::bigint AS id FROM generate_series(1, ${txns.length}::int) AS ord
    ), t AS (
      INSERT INTO journal_transactions (id, kind, pool_id, ref_type, ref_id, at)
      SELECT ids.id, x.kind, x.pool_id, x.ref_type, x.ref_id, x.at
      FROM unnest(${p(txns.map((t) => t.kind))}::text[], ${p(txns.map((t) => t.poolId))}::uuid[],
                  ${p(txns.map((t) => t.refType ?? null))}::text[], ${p(txns.map((t) => t.refId ?? null))}::text[],
                  ${p(txns.map((t) => t.at.toISOString()))}::timestamptz[])
           WITH ORDINALITY AS x (kind, pool_id, ref_type, ref_id, at, ord)
      JOIN ids ON ids.ord = x.ord
      RETURNING 1
    ), e AS (
      INSERT INTO journal_entries (txn_id, account, pool_id, voucher_id, merchant_id, amount_fen, at)
      SELECT ids.id, x.account, x.pool_id, x.voucher_id, x.merchant_id, x.amount_fen, x.at
      FROM unnest(${p(entryOrd)}::int[], ${p(accounts)}::text[], ${p(entryPools)}::uuid[], ${p(voucherIds)}::uuid[],
                  ${p(merchantIds)}::uuid[], ${p(amounts)}::bigint[], ${p(entryAts)}::timestamptz[])
           AS x (ord, account, pool_id, voucher_id, merchant_id, amount_fen, at)
      JOIN ids ON ids.ord = x.ord
      RETURNING 1
    ), r AS (
      INSERT INTO ledger_rollups AS r (pool_id, account, merchant_id, shard, balance_fen)
      SELECT x.pool_id, x.account, x.merchant_id, ${shard}::smallint, x.amount_fen
      FROM unnest(${p(deltas.map((d) => d.poolId))}::uuid[], ${p(deltas.map((d) => d.account))}::text[],
                  ${p(deltas.map((d) => d.merchantId))}::uuid[], ${p(deltas.map((d) => d.amountFen))}::bigint[])
           AS x (pool_id, account, merchant_id, amount_fen)
      ON CONFLICT (pool_id, account, merchant_id, shard) DO UPDATE SET balance_fen = r.balance_fen + EXCLUDED.balance_fen
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM t)::int AS txns, (SELECT count(*) FROM e)::int AS entries`);
  return row ?? { txns: 0, entries: 0 };
}

/** Sorts rollup deltas by key: every writer updates rollup rows in this order, so none deadlocks. */
export function sortDeltas(deltas: RollupDelta[]): RollupDelta[] {
  return [...deltas].sort((a, b) =>
    a.poolId.localeCompare(b.poolId) || a.account.localeCompare(b.account) || a.merchantId.localeCompare(b.merchantId));
}

/** Takes `amountFen` from a funded pool's available budget; false when it is not there. */
export async function takeFromAvailable(tx: Queryable, poolId: string, amountFen: number): Promise<boolean> {
  const rows = await tx.query(sql`
    UPDATE pools SET available_fen = available_fen - ${amountFen}
    WHERE id = ${poolId} AND funded AND available_fen >= ${amountFen} RETURNING id`);
  return rows.length === 1;
}

/**
 * Takes as many whole `amountFen` as fit, up to `count` of them, from a funded pool's
 * available budget in ONE conditional UPDATE (the claim batch). With `openOnly` the pool
 * must also be scheduled or open. Null when no row qualifies. The row lock is NO KEY UPDATE,
 * like the UPDATE's own: the key-share locks that inserts referencing the pool hold (a
 * concurrent batch's counters, vouchers, journal) do not block it, so batches cannot deadlock.
 */
export async function takeUpTo(
  tx: Queryable, poolId: string, amountFen: number, count: number, openOnly: boolean,
): Promise<{ granted: number; available_after_fen: number } | null> {
  const rows = await tx.query<{ granted: number; available_after_fen: number }>(sql`
    UPDATE pools p SET available_fen = p.available_fen - least(old.available_fen / ${amountFen}::bigint, ${count}::bigint) * ${amountFen}::bigint
    FROM (SELECT id, available_fen FROM pools WHERE id = ${poolId} FOR NO KEY UPDATE) old
    WHERE p.id = old.id AND p.funded AND (NOT ${openOnly}::boolean OR p.status IN ('scheduled', 'open'))
    RETURNING least(old.available_fen / ${amountFen}::bigint, ${count}::bigint)::int AS granted, p.available_fen AS available_after_fen`);
  return rows[0] ?? null;
}

/** Takes `totalFen` from a funded (and with `openOnly`, open) pool in one conditional UPDATE; what is left, or null. */
export async function takeAll(tx: Queryable, poolId: string, totalFen: number, openOnly: boolean): Promise<number | null> {
  const rows = await tx.query<{ available_fen: number }>(sql`
    UPDATE pools SET available_fen = available_fen - ${totalFen}::bigint
    WHERE id = ${poolId} AND funded AND available_fen >= ${totalFen}::bigint
      AND (NOT ${openOnly}::boolean OR status IN ('scheduled', 'open'))
    RETURNING available_fen`);
  return rows[0]?.available_fen ?? null;
}

/** A pool's available budget as committed now (no lock). */
export async function availableOf(q: Queryable, poolId: string): Promise<number | null> {
  const rows = await q.query<{ available_fen: number }>(sql`SELECT available_fen FROM pools WHERE id = ${poolId} AND funded`);
  return rows[0]?.available_fen ?? null;
}

export async function returnToAvailable(tx: Queryable, poolId: string, amountFen: number): Promise<void> {
  const rows = await tx.query(sql`UPDATE pools SET available_fen = available_fen + ${amountFen} WHERE id = ${poolId} AND funded RETURNING id`);
  if (rows.length !== 1) throw new Error(`assertion: pool ${poolId} is not funded`);
}

export async function fund(tx: Queryable, poolId: string): Promise<number> {
  const rows = await tx.query<{ budget_fen: number }>(sql`
    UPDATE pools SET funded = true, available_fen = budget_fen WHERE id = ${poolId} AND NOT funded RETURNING budget_fen`);
  if (rows.length !== 1) throw new Error(`assertion: pool ${poolId} was already funded`);
  return (rows[0] as { budget_fen: number }).budget_fen;
}

/** Changes budget and available together; a decrease needs that much available. */
export async function changeBudget(tx: Queryable, poolId: string, deltaFen: number): Promise<boolean> {
  const rows = await tx.query(sql`
    UPDATE pools SET budget_fen = budget_fen + ${deltaFen}, available_fen = available_fen + ${deltaFen}
    WHERE id = ${poolId} AND funded AND available_fen + ${deltaFen} >= 0 RETURNING id`);
  return rows.length === 1;
}

export interface PoolSums {
  pool_id: string;
  reserved_fen: number;
  spent_fen: number;
}

export async function poolSums(q: Queryable, poolIds: string[]): Promise<PoolSums[]> {
  if (poolIds.length === 0) return [];
  return q.query<PoolSums>(sql`
    SELECT pool_id,
           coalesce(sum(balance_fen) FILTER (WHERE account IN ('voucher', 'hold')), 0)::bigint AS reserved_fen,
           coalesce(sum(balance_fen) FILTER (WHERE account IN ('spent', 'settled')), 0)::bigint AS spent_fen
    FROM ledger_rollups WHERE pool_id IN (${sql.join(poolIds.map((p) => sql`${p}::uuid`), sql`, `)})
    GROUP BY pool_id`);
}

/**
 * Ends a voucher (revoked or expired) and zeroes its balance in one statement; returns what
 * the balance was. No row when it was not active or still has a pending hold.
 */
export async function closeVoucher(
  tx: Queryable, voucherId: string, status: 'revoked' | 'expired', at: Date, reason: string | null,
): Promise<{ pool_id: string; old_balance_fen: number } | null> {
  const rows = await tx.query<{ pool_id: string; old_balance_fen: number }>(sql`
    UPDATE vouchers v SET status = ${status}, balance_fen = 0, updated_at = ${at.toISOString()},
      revoke_reason = coalesce(${reason}, v.revoke_reason)
    FROM (SELECT id, balance_fen FROM vouchers WHERE id = ${voucherId} FOR UPDATE) old
    WHERE v.id = old.id AND v.status IN ('active', 'pending_confirmation') AND v.held_fen = 0
    RETURNING v.pool_id, old.balance_fen AS old_balance_fen`);
  return rows[0] ?? null;
}

// ---- voucher balances and holds (redemption) ----

export interface VoucherBalances {
  pool_id: string;
  balance_fen: number;
  held_fen: number;
  status: 'pending_confirmation' | 'active' | 'redeemed' | 'expired' | 'revoked';
}

export interface VoucherBalancesBefore extends VoucherBalances {
  before_balance_fen: number;
}

/**
 * Takes `amountFen` off an active, valid voucher in ONE statement. A single-use voucher is
 * spent whole (balance 0, redeemed); a multi-use one is redeemed when nothing is left. No
 * row when the voucher is not active, not valid at `at`, short of `amountFen`, or (single
 * use) already held by a pending B2B redemption.
 */
export async function takeFromVoucher(
  tx: Queryable, voucherId: string, amountFen: number, singleUse: boolean, at: Date,
): Promise<VoucherBalancesBefore | null> {
  const now = at.toISOString();
  const rows = await tx.query<VoucherBalancesBefore>(sql`
    UPDATE vouchers v SET
      balance_fen = CASE WHEN ${singleUse}::boolean THEN 0 ELSE v.balance_fen - ${amountFen} END,
      status = CASE WHEN ${singleUse}::boolean OR (v.balance_fen - ${amountFen} = 0 AND v.held_fen = 0)
               THEN 'redeemed' ELSE 'active' END,
      updated_at = ${now}
    FROM (SELECT id, balance_fen FROM vouchers WHERE id = ${voucherId} FOR UPDATE) old
    WHERE v.id = old.id AND v.status = 'active' AND v.balance_fen >= ${amountFen}
      AND v.valid_from <= ${now} AND v.valid_until > ${now} AND (NOT ${singleUse}::boolean OR v.held_fen = 0)
    RETURNING v.pool_id, v.balance_fen, v.held_fen, v.status, old.balance_fen AS before_balance_fen`);
  return rows[0] ?? null;
}

/**
 * The batch form of `takeFromVoucher` (the redemption batcher), in ONE statement. Each row
 * takes its amount off its voucher under the same conditions; a single-use voucher must be
 * taken whole here (no remainder to release), else its row is refused. The rows are already
 * locked by the caller, in id order. Returns the vouchers taken.
 */
export async function takeFromVouchers(
  tx: Queryable, items: { voucherId: string; amountFen: number; singleUse: boolean }[], at: Date,
): Promise<(VoucherBalances & { id: string })[]> {
  const now = at.toISOString();
  const p = sql.param;
  return tx.query<VoucherBalances & { id: string }>(sql`
    UPDATE vouchers v SET
      balance_fen = v.balance_fen - x.amount_fen,
      status = CASE WHEN x.single_use OR (v.balance_fen - x.amount_fen = 0 AND v.held_fen = 0) THEN 'redeemed' ELSE 'active' END,
      updated_at = ${now}
    FROM unnest(${p(items.map((i) => i.voucherId))}::uuid[], ${p(items.map((i) => i.amountFen))}::bigint[],
                ${p(items.map((i) => i.singleUse))}::boolean[]) AS x (id, amount_fen, single_use)
    WHERE v.id = x.id AND v.status = 'active' AND v.balance_fen >= x.amount_fen
      AND v.valid_from <= ${now} AND v.valid_until > ${now}
      AND (NOT x.single_use OR (v.held_fen = 0 AND v.balance_fen = x.amount_fen))
    RETURNING v.id, v.pool_id, v.balance_fen, v.held_fen, v.status`);
}

/** Moves `amountFen` from an active, valid voucher's balance to its hold; same refusals as a take. */
export async function holdOnVoucher(
  tx: Queryable, voucherId: string, amountFen: number, singleUse: boolean, at: Date,
): Promise<VoucherBalances | null> {
  const now = at.toISOString();
  const rows = await tx.query<VoucherBalances>(sql`
    UPDATE vouchers SET balance_fen = balance_fen - ${amountFen}, held_fen = held_fen + ${amountFen}, updated_at = ${now}
    WHERE id = ${voucherId} AND status = 'active' AND balance_fen >= ${amountFen}
      AND valid_from <= ${now} AND valid_until > ${now} AND (NOT ${singleUse}::boolean OR held_fen = 0)
    RETURNING pool_id, balance_fen, held_fen, status`);
  return rows[0] ?? null;
}

/** Posts a hold: held −= amount; a single-use voucher is then spent whole (its balance returned by the caller). */
export async function postHold(
  tx: Queryable, voucherId: string, amountFen: number, singleUse: boolean, at: Date,
): Promise<VoucherBalancesBefore | null> {
  const rows = await tx.query<VoucherBalancesBefore>(sql`
    UPDATE vouchers v SET held_fen = v.held_fen - ${amountFen},
      balance_fen = CASE WHEN ${singleUse}::boolean THEN 0 ELSE v.balance_fen END,
      status = CASE WHEN ${singleUse}::boolean OR (v.balance_fen = 0 AND v.held_fen - ${amountFen} = 0)
               THEN 'redeemed' ELSE v.status END,
      updated_at = ${at.toISOString()}
    FROM (SELECT id, balance_fen FROM vouchers WHERE id = ${voucherId} FOR UPDATE) old
    WHERE v.id = old.id AND v.status = 'active' AND v.held_fen >= ${amountFen}
    RETURNING v.pool_id, v.balance_fen, v.held_fen, v.status, old.balance_fen AS before_balance_fen`);
  return rows[0] ?? null;
}

/** Voids a hold: the amount goes back from held to the balance. */
export async function releaseHold(tx: Queryable, voucherId: string, amountFen: number, at: Date): Promise<VoucherBalances | null> {
  const rows = await tx.query<VoucherBalances>(sql`
    UPDATE vouchers SET held_fen = held_fen - ${amountFen}, balance_fen = balance_fen + ${amountFen}, updated_at = ${at.toISOString()}
    WHERE id = ${voucherId} AND status = 'active' AND held_fen >= ${amountFen}
    RETURNING pool_id, balance_fen, held_fen, status`);
  return rows[0] ?? null;
}

/**
 * Puts a reversed amount back on a voucher that is still valid at `at` (active, or redeemed
 * and so reactivated). No row when the voucher has expired, was revoked, or is past its validity.
 */
export async function restoreToVoucher(tx: Queryable, voucherId: string, amountFen: number, at: Date): Promise<VoucherBalances | null> {
  const now = at.toISOString();
  const rows = await tx.query<VoucherBalances>(sql`
    UPDATE vouchers SET balance_fen = balance_fen + ${amountFen}, status = 'active', updated_at = ${now}
    WHERE id = ${voucherId} AND status IN ('active', 'redeemed') AND valid_from <= ${now} AND valid_until > ${now}
    RETURNING pool_id, balance_fen, held_fen, status`);
  return rows[0] ?? null;
}

/**
 * Expires up to `limit` vouchers past their validity that hold nothing pending, in ONE
 * statement (rows another transaction holds are skipped, not waited for); returns what each
 * balance was.
 */
export async function expireDue(tx: Queryable, at: Date, limit: number): Promise<{ id: string; pool_id: string; old_balance_fen: number }[]> {
  const now = at.toISOString();
  return tx.query(sql`
    WITH due AS (
      SELECT id, balance_fen FROM vouchers
      WHERE status IN ('active', 'pending_confirmation') AND valid_until <= ${now} AND held_fen = 0
      ORDER BY valid_until, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    UPDATE vouchers v SET status = 'expired', balance_fen = 0, updated_at = ${now}
    FROM due WHERE v.id = due.id
    RETURNING v.id, v.pool_id, due.balance_fen AS old_balance_fen`);
}

/** Adds released amounts back to several funded pools' available, in pool-id order. */
export async function returnManyToAvailable(tx: Queryable, perPool: Map<string, number>): Promise<void> {
  const entries = [...perPool.entries()].filter(([, amount]) => amount > 0).sort(([a], [b]) => a.localeCompare(b));
  for (const [poolId, amountFen] of entries) await returnToAvailable(tx, poolId, amountFen);
}
