/** SQL of vouchers, the holder limit counters and the round budget counters of first-come pools. */
import type { MerchantScope } from '@hqt/shared';
import { sql, type Queryable, type SQL } from '../../platform/db';

export interface VoucherRow {
  id: string; code: string; pool_id: string; issuer_id: string; holder_kind: 'enterprise' | 'consumer'; holder_id: string;
  amount_fen: number; balance_fen: number; held_fen: number; provider_id: string | null; valid_from: string; valid_until: string;
  status: 'pending_confirmation' | 'active' | 'redeemed' | 'expired' | 'revoked'; source: string; source_ref: string | null;
  revoke_reason: string | null; issued_at: string; updated_at: string;
}

export interface VoucherWithPool extends VoucherRow {
  pool_name_zh: string; pool_name_en: string | null; kind: string; value_type: 'fixed' | 'ratio' | 'balance';
  pool_amount_fen: number; min_spend_fen: number; ratio_bp: number | null; merchant_scope: MerchantScope;
  banned_categories: string[]; redemption_mode: 'direct' | 'confirm';
}

export interface NewVoucher {
  id: string; code: string; poolId: string; issuerId: string; holderKind: 'enterprise' | 'consumer'; holderId: string;
  amountFen: number; providerId: string | null; validFrom: Date; validUntil: Date;
  status: 'active' | 'pending_confirmation'; source: 'claim' | 'lottery' | 'application' | 'grant'; sourceRef: string | null;
}

export async function insertVouchers(tx: Queryable, vs: NewVoucher[], at: Date): Promise<VoucherRow[]> {
  const values = vs.map((v) => sql`(${v.id}::uuid, ${v.code}, ${v.poolId}::uuid, ${v.issuerId}::uuid, ${v.holderKind}, ${v.holderId}::uuid,
    ${v.amountFen}::bigint, ${v.amountFen}::bigint, ${v.providerId}::uuid, ${v.validFrom.toISOString()}::timestamptz,
    ${v.validUntil.toISOString()}::timestamptz, ${v.status}, ${v.source}, ${v.sourceRef}, ${at.toISOString()}::timestamptz,
    ${at.toISOString()}::timestamptz)`);
  return tx.query<VoucherRow>(sql`
    INSERT INTO vouchers (id, code, pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen, provider_id,
      valid_from, valid_until, status, source, source_ref, issued_at, updated_at)
    VALUES ${sql.join(values, sql`, `)} RETURNING *`);
}

/**
 * +1 on the holder's count in this pool (in this round: 0 unless the first-come pool has
 * rounds), unless that passes the pool's per-holder maximum.
 */
export async function bumpPoolCounter(tx: Queryable, poolId: string, round: number, holderId: string, max: number): Promise<boolean> {
  const rows = await tx.query(sql`
    INSERT INTO holder_pool_counters AS c (pool_id, holder_id, round, claimed, max_claims)
    VALUES (${poolId}, ${holderId}, ${round}, 1, ${max})
    ON CONFLICT (pool_id, holder_id, round) DO UPDATE SET claimed = c.claimed + 1
    WHERE c.claimed < c.max_claims RETURNING claimed`);
  return rows.length === 1;
}

export async function bumpDailyCounter(tx: Queryable, poolId: string, holderId: string, day: string, max: number): Promise<boolean> {
  const rows = await tx.query(sql`
    INSERT INTO holder_daily_counters AS c (pool_id, holder_id, day, claimed, max_claims)
    VALUES (${poolId}, ${holderId}, ${day}::date, 1, ${max})
    ON CONFLICT (pool_id, holder_id, day) DO UPDATE SET claimed = c.claimed + 1
    WHERE c.claimed < c.max_claims RETURNING claimed`);
  return rows.length === 1;
}

/** Adds to the holder's annual use of this issuer's vouchers of this kind, unless that passes the cap. */
export async function addAnnualUse(
  tx: Queryable, issuerId: string, kind: string, holderId: string, year: number, amountFen: number, capFen: number,
): Promise<boolean> {
  if (amountFen > capFen) return false;
  const rows = await tx.query(sql`
    INSERT INTO holder_annual_usage AS u (issuer_id, kind, holder_id, year, used_fen)
    VALUES (${issuerId}, ${kind}, ${holderId}, ${year}, ${amountFen})
    ON CONFLICT (issuer_id, kind, holder_id, year) DO UPDATE SET used_fen = u.used_fen + ${amountFen}
    WHERE u.used_fen + ${amountFen} <= ${capFen} RETURNING used_fen`);
  return rows.length === 1;
}

// ---- the batch forms (claim batches, lottery issuance): one statement for many holders ----
// Each takes distinct holder ids sorted by the caller, so two batches lock counter rows in
// the same order and never deadlock; each returns the holders it admitted.

/** +1 on each holder's count in this pool and round, for those still under the pool's per-holder maximum. */
export async function bumpPoolCounters(tx: Queryable, poolId: string, round: number, holderIds: string[], max: number): Promise<Set<string>> {
  const rows = await tx.query<{ holder_id: string }>(sql`
    INSERT INTO holder_pool_counters AS c (pool_id, holder_id, round, claimed, max_claims)
    SELECT ${poolId}::uuid, h, ${round}::int, 1, ${max}::int FROM unnest(${sql.param(holderIds)}::uuid[]) AS h
    ON CONFLICT (pool_id, holder_id, round) DO UPDATE SET claimed = c.claimed + 1
    WHERE c.claimed < c.max_claims RETURNING holder_id`);
  return new Set(rows.map((r) => r.holder_id));
}

export async function undoPoolCounters(tx: Queryable, poolId: string, round: number, holderIds: string[]): Promise<void> {
  await tx.query(sql`UPDATE holder_pool_counters SET claimed = claimed - 1
    WHERE pool_id = ${poolId} AND round = ${round}::int AND holder_id = ANY(${sql.param(holderIds)}::uuid[])`);
}

export async function bumpDailyCounters(tx: Queryable, poolId: string, holderIds: string[], day: string, max: number): Promise<Set<string>> {
  const rows = await tx.query<{ holder_id: string }>(sql`
    INSERT INTO holder_daily_counters AS c (pool_id, holder_id, day, claimed, max_claims)
    SELECT ${poolId}::uuid, h, ${day}::date, 1, ${max}::int FROM unnest(${sql.param(holderIds)}::uuid[]) AS h
    ON CONFLICT (pool_id, holder_id, day) DO UPDATE SET claimed = c.claimed + 1
    WHERE c.claimed < c.max_claims RETURNING holder_id`);
  return new Set(rows.map((r) => r.holder_id));
}

export async function undoDailyCounters(tx: Queryable, poolId: string, holderIds: string[], day: string): Promise<void> {
  await tx.query(sql`UPDATE holder_daily_counters SET claimed = claimed - 1
    WHERE pool_id = ${poolId} AND day = ${day}::date AND holder_id = ANY(${sql.param(holderIds)}::uuid[])`);
}

export async function addAnnualUses(
  tx: Queryable, issuerId: string, kind: string, holderIds: string[], year: number, amountFen: number, capFen: number,
): Promise<Set<string>> {
  if (amountFen > capFen) return new Set();
  const rows = await tx.query<{ holder_id: string }>(sql`
    INSERT INTO holder_annual_usage AS u (issuer_id, kind, holder_id, year, used_fen)
    SELECT ${issuerId}::uuid, ${kind}, h, ${year}::int, ${amountFen}::bigint FROM unnest(${sql.param(holderIds)}::uuid[]) AS h
    ON CONFLICT (issuer_id, kind, holder_id, year) DO UPDATE SET used_fen = u.used_fen + ${amountFen}::bigint
    WHERE u.used_fen + ${amountFen}::bigint <= ${capFen}::bigint RETURNING holder_id`);
  return new Set(rows.map((r) => r.holder_id));
}

export async function undoAnnualUses(
  tx: Queryable, issuerId: string, kind: string, holderIds: string[], year: number, amountFen: number,
): Promise<void> {
  await tx.query(sql`UPDATE holder_annual_usage SET used_fen = used_fen - ${amountFen}::bigint
    WHERE issuer_id = ${issuerId} AND kind = ${kind} AND year = ${year}::int AND holder_id = ANY(${sql.param(holderIds)}::uuid[])`);
}

/** Holders whose count in this pool and round already reached its maximum (read only: the sold-out batch). */
export async function holdersAtMax(q: Queryable, poolId: string, round: number, holderIds: string[]): Promise<Set<string>> {
  const rows = await q.query<{ holder_id: string }>(sql`SELECT holder_id FROM holder_pool_counters
    WHERE pool_id = ${poolId} AND round = ${round}::int AND holder_id = ANY(${sql.param(holderIds)}::uuid[]) AND claimed >= max_claims`);
  return new Set(rows.map((r) => r.holder_id));
}

// ---- the round budget counters of first-come pools with rounds (migration 0012) ----
// Taken before the pool's available in every path, so the two rows are always locked in the
// same order (round, then pool) and batches cannot deadlock on them.

/** Writes the round's counter with its share, unless it exists (the round's first claim; a concurrent first claim waits, then does nothing). */
export async function openRoundCounter(tx: Queryable, poolId: string, round: number, capFen: number, at: Date): Promise<void> {
  await tx.query(sql`INSERT INTO pool_round_counters (pool_id, round, cap_fen, issued_fen, opened_at)
    VALUES (${poolId}, ${round}::int, ${capFen}::bigint, 0, ${at.toISOString()}::timestamptz)
    ON CONFLICT (pool_id, round) DO NOTHING`);
}

/**
 * Takes as many whole `amountFen` as the round's share still covers, up to `count`, in ONE
 * conditional UPDATE (the row locked first, as ledger takeUpTo does). Null when the round has
 * no counter yet.
 */
export async function takeFromRound(
  tx: Queryable, poolId: string, round: number, amountFen: number, count: number,
): Promise<{ granted: number; left_fen: number } | null> {
  const rows = await tx.query<{ granted: number; left_fen: number }>(sql`
    UPDATE pool_round_counters c
    SET issued_fen = c.issued_fen + least((old.cap_fen - old.issued_fen) / ${amountFen}::bigint, ${count}::bigint) * ${amountFen}::bigint
    FROM (SELECT pool_id, round, cap_fen, issued_fen FROM pool_round_counters
          WHERE pool_id = ${poolId} AND round = ${round}::int FOR NO KEY UPDATE) old
    WHERE c.pool_id = old.pool_id AND c.round = old.round
    RETURNING least((old.cap_fen - old.issued_fen) / ${amountFen}::bigint, ${count}::bigint)::int AS granted,
              c.cap_fen - c.issued_fen AS left_fen`);
  return rows[0] ?? null;
}

/** Takes `totalFen` from the round's share, all or nothing; what is left, or null (no counter yet, or it does not cover it). */
export async function takeAllFromRound(tx: Queryable, poolId: string, round: number, totalFen: number): Promise<number | null> {
  const rows = await tx.query<{ left_fen: number }>(sql`
    UPDATE pool_round_counters SET issued_fen = issued_fen + ${totalFen}::bigint
    WHERE pool_id = ${poolId} AND round = ${round}::int AND issued_fen + ${totalFen}::bigint <= cap_fen
    RETURNING cap_fen - issued_fen AS left_fen`);
  return rows[0]?.left_fen ?? null;
}

/** Gives back to the round's share what it granted and the pool did not (same transaction, so never below zero). */
export async function giveBackToRound(tx: Queryable, poolId: string, round: number, amountFen: number): Promise<number> {
  const rows = await tx.query<{ left_fen: number }>(sql`
    UPDATE pool_round_counters SET issued_fen = issued_fen - ${amountFen}::bigint
    WHERE pool_id = ${poolId} AND round = ${round}::int RETURNING cap_fen - issued_fen AS left_fen`);
  const row = rows[0];
  if (!row) throw new Error(`assertion: round ${round} of pool ${poolId} has no counter to give back to`);
  return row.left_fen;
}

/** What the round's share still covers (committed, no lock); null when the round has no counter yet. */
export async function roundLeftFen(q: Queryable, poolId: string, round: number): Promise<number | null> {
  const rows = await q.query<{ left_fen: number }>(sql`SELECT cap_fen - issued_fen AS left_fen FROM pool_round_counters
    WHERE pool_id = ${poolId} AND round = ${round}::int`);
  return rows[0]?.left_fen ?? null;
}

/** What a batch of vouchers of one pool has in common. */
export interface VoucherBatch {
  poolId: string; issuerId: string; amountFen: number; validFrom: Date; validUntil: Date;
  status: 'active' | 'pending_confirmation'; source: 'claim' | 'lottery' | 'application' | 'grant'; at: Date;
}

/** Inserts many vouchers of one pool in one statement (columns as arrays); returns how many it stored. */
export async function insertVoucherBatch(
  tx: Queryable, b: VoucherBatch, rows: { id: string; code: string; holderKind: string; holderId: string; sourceRef: string | null }[],
): Promise<number> {
  const p = sql.param;
  const [row] = await tx.query<{ n: number }>(sql`
    WITH ins AS (
      INSERT INTO vouchers (id, code, pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen, provider_id,
        valid_from, valid_until, status, source, source_ref, issued_at, updated_at)
      SELECT x.id, x.code, ${b.poolId}::uuid, ${b.issuerId}::uuid, x.holder_kind, x.holder_id, ${b.amountFen}::bigint,
        ${b.amountFen}::bigint, NULL, ${b.validFrom.toISOString()}::timestamptz, ${b.validUntil.toISOString()}::timestamptz,
        ${b.status}, ${b.source}, x.source_ref, ${b.at.toISOString()}::timestamptz, ${b.at.toISOString()}::timestamptz
      FROM unnest(${p(rows.map((r) => r.id))}::uuid[], ${p(rows.map((r) => r.code))}::text[],
                  ${p(rows.map((r) => r.holderKind))}::text[], ${p(rows.map((r) => r.holderId))}::uuid[],
                  ${p(rows.map((r) => r.sourceRef))}::text[]) AS x (id, code, holder_kind, holder_id, source_ref)
      RETURNING 1)
    SELECT count(*)::int AS n FROM ins`);
  return row?.n ?? 0;
}

export async function annualUse(q: Queryable, issuerId: string, kind: string, holderId: string, year: number): Promise<number> {
  const rows = await q.query<{ used_fen: number }>(sql`SELECT used_fen FROM holder_annual_usage
    WHERE issuer_id = ${issuerId} AND kind = ${kind} AND holder_id = ${holderId} AND year = ${year}`);
  return rows[0]?.used_fen ?? 0;
}

const WITH_POOL = sql`SELECT v.*, p.name_zh AS pool_name_zh, p.name_en AS pool_name_en, p.kind, p.value_type,
  p.amount_fen AS pool_amount_fen, p.min_spend_fen, p.ratio_bp, p.merchant_scope, p.banned_categories, p.redemption_mode
  FROM vouchers v JOIN pools p ON p.id = v.pool_id`;

export async function findWithPool(q: Queryable, id: string): Promise<VoucherWithPool | null> {
  const rows = await q.query<VoucherWithPool>(sql`${WITH_POOL} WHERE v.id = ${id}`);
  return rows[0] ?? null;
}

export async function findByCode(q: Queryable, code: string): Promise<VoucherRow | null> {
  const rows = await q.query<VoucherRow>(sql`SELECT * FROM vouchers WHERE code = ${code}`);
  return rows[0] ?? null;
}

export interface VoucherFilter {
  holderId?: string;
  issuerIds?: string[] | 'all';
  poolId?: string;
  status?: string;
  beforeIssuedAt?: string;
  beforeId?: string;
  limit: number;
}

export async function list(q: Queryable, f: VoucherFilter): Promise<VoucherWithPool[]> {
  const where: SQL[] = [sql`TRUE`];
  if (f.holderId) where.push(sql`v.holder_id = ${f.holderId}`);
  if (f.issuerIds && f.issuerIds !== 'all') {
    if (f.issuerIds.length === 0) return [];
    where.push(sql`v.issuer_id IN (${sql.join(f.issuerIds.map((i) => sql`${i}::uuid`), sql`, `)})`);
  }
  if (f.poolId) where.push(sql`v.pool_id = ${f.poolId}`);
  if (f.status) where.push(sql`v.status = ${f.status}`);
  if (f.beforeIssuedAt && f.beforeId) where.push(sql`(v.issued_at, v.id) < (${f.beforeIssuedAt}::timestamptz, ${f.beforeId}::uuid)`);
  return q.query<VoucherWithPool>(sql`${WITH_POOL} WHERE ${sql.join(where, sql` AND `)}
    ORDER BY v.issued_at DESC, v.id DESC LIMIT ${f.limit}`);
}

export async function confirmPending(tx: Queryable, id: string, holderId: string, at: Date): Promise<boolean> {
  const rows = await tx.query(sql`UPDATE vouchers SET status = 'active', updated_at = ${at.toISOString()}
    WHERE id = ${id} AND holder_id = ${holderId} AND status = 'pending_confirmation' RETURNING id`);
  return rows.length === 1;
}
