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
