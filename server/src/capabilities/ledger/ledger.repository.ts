/** SQL of the ledger: journal rows, rollups, and the live balances that guard overspending. */
import { sql, type Queryable } from '../../platform/db';
import type { Account, JournalTxn } from './ledger.types';

export const NO_MERCHANT = '00000000-0000-0000-0000-000000000000';
const ROLLUP_SHARDS = 16;

export async function nextTxnIds(tx: Queryable, n: number): Promise<number[]> {
  const rows = await tx.query<{ id: number }>(sql`
    SELECT nextval('journal_transactions_id_seq')::bigint AS id FROM generate_series(1, ${n}::int)`);
  return rows.map((r) => r.id);
}

export async function insertTransactions(tx: Queryable, ids: number[], txns: JournalTxn[]): Promise<void> {
  const values = txns.map((t, i) => sql`(${ids[i]}::bigint, ${t.kind}, ${t.poolId}::uuid, ${t.refType ?? null}, ${t.refId ?? null}, ${t.at.toISOString()}::timestamptz)`);
  await tx.query(sql`INSERT INTO journal_transactions (id, kind, pool_id, ref_type, ref_id, at) VALUES ${sql.join(values, sql`, `)}`);
}

/** All entries of the given transactions in ONE statement: the balance trigger checks per statement. */
export async function insertEntries(tx: Queryable, ids: number[], txns: JournalTxn[]): Promise<void> {
  const values = txns.flatMap((t, i) => t.entries.map((e) =>
    sql`(${ids[i]}::bigint, ${e.account}, ${t.poolId}::uuid, ${e.voucherId ?? null}::uuid, ${e.merchantId ?? null}::uuid, ${e.amountFen}::bigint, ${t.at.toISOString()}::timestamptz)`));
  await tx.query(sql`INSERT INTO journal_entries (txn_id, account, pool_id, voucher_id, merchant_id, amount_fen, at) VALUES ${sql.join(values, sql`, `)}`);
}

export interface RollupDelta {
  poolId: string;
  account: Account;
  merchantId: string;
  amountFen: number;
}

/** Adds deltas to sharded rollup rows, in a fixed key order so two writers never deadlock. */
export async function addToRollups(tx: Queryable, deltas: RollupDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const shard = Math.floor(Math.random() * ROLLUP_SHARDS);
  const sorted = [...deltas].sort((a, b) =>
    a.poolId.localeCompare(b.poolId) || a.account.localeCompare(b.account) || a.merchantId.localeCompare(b.merchantId));
  const values = sorted.map((d) => sql`(${d.poolId}::uuid, ${d.account}, ${d.merchantId}::uuid, ${shard}::smallint, ${d.amountFen}::bigint)`);
  await tx.query(sql`
    INSERT INTO ledger_rollups AS r (pool_id, account, merchant_id, shard, balance_fen) VALUES ${sql.join(values, sql`, `)}
    ON CONFLICT (pool_id, account, merchant_id, shard) DO UPDATE SET balance_fen = r.balance_fen + EXCLUDED.balance_fen`);
}

/** Takes `amountFen` from a funded pool's available budget; false when it is not there. */
export async function takeFromAvailable(tx: Queryable, poolId: string, amountFen: number): Promise<boolean> {
  const rows = await tx.query(sql`
    UPDATE pools SET available_fen = available_fen - ${amountFen}
    WHERE id = ${poolId} AND funded AND available_fen >= ${amountFen} RETURNING id`);
  return rows.length === 1;
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
