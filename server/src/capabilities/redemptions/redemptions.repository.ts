/** SQL of redemptions and reversals, and the voucher, pool and merchant facts a redemption checks. */
import type { MerchantScope } from '@hqt/shared';
import { sql, type Queryable, type SQL } from '../../platform/db';
import { PG_UNIQUE_VIOLATION, pgErrorOf } from '../../platform/pg-errors';

/** What a redemption checks about the voucher and its pool, read (and for a commit, locked) at once. */
export interface RedemptionContext {
  voucher_id: string; code: string; pool_id: string; issuer_id: string; holder_kind: 'enterprise' | 'consumer';
  holder_id: string; amount_fen: number; balance_fen: number; held_fen: number; provider_id: string | null;
  valid_from: string; valid_until: string; status: 'pending_confirmation' | 'active' | 'redeemed' | 'expired' | 'revoked';
  value_type: 'fixed' | 'ratio' | 'balance'; min_spend_fen: number; ratio_bp: number | null; merchant_scope: MerchantScope;
  banned_categories: string[]; redemption_mode: 'direct' | 'confirm'; pool_status: string;
}

/** Everything the redemption checks read, in one statement: the voucher by its code (locked for a commit), its pool, the merchant, its enrolment, and whether the token's step was used. */
export interface RedemptionFacts extends RedemptionContext {
  merchant_status: string | null; merchant_categories: string[] | null; merchant_district: string | null;
  enrolled: boolean; token_used: boolean;
}

export async function redemptionFacts(
  q: Queryable, code: string, merchantId: string, tokenStep: number | null, lock: boolean,
): Promise<RedemptionFacts | null> {
  const rows = await q.query<RedemptionFacts>(sql`
    SELECT v.id AS voucher_id, v.code, v.pool_id, v.issuer_id, v.holder_kind, v.holder_id, v.amount_fen, v.balance_fen,
           v.held_fen, v.provider_id, v.valid_from, v.valid_until, v.status, p.value_type, p.min_spend_fen, p.ratio_bp,
           p.merchant_scope, p.banned_categories, p.redemption_mode, p.status AS pool_status,
           m.status AS merchant_status, m.categories AS merchant_categories, m.district AS merchant_district,
           EXISTS (SELECT 1 FROM pool_merchants pm WHERE pm.pool_id = v.pool_id AND pm.merchant_id = ${merchantId}) AS enrolled,
           ${tokenStep === null ? sql`false` : sql`EXISTS (SELECT 1 FROM redemption_keys rk WHERE rk.voucher_id = v.id AND rk.token_step = ${tokenStep})`} AS token_used
    FROM vouchers v JOIN pools p ON p.id = v.pool_id
    LEFT JOIN organisations m ON m.id = ${merchantId} AND m.type = 'merchant'
    WHERE v.code = ${code}
    ${lock ? sql`FOR UPDATE OF v` : sql``}`);
  return rows[0] ?? null;
}

/** One member of a redemption batch, to look up: the token's code and step, and the merchant redeeming. */
export interface FactsRequest {
  code: string;
  merchantId: string;
  tokenStep: number | null;
}

/**
 * The batch form of `redemptionFacts`: one statement for the whole batch, the vouchers locked
 * in id order (so concurrent batches never deadlock). Null for a request whose code names no
 * voucher.
 */
export async function redemptionFactsMany(q: Queryable, reqs: FactsRequest[]): Promise<(RedemptionFacts | null)[]> {
  if (reqs.length === 0) return [];
  const p = sql.param;
  const rows = await q.query<RedemptionFacts & { ord: number }>(sql`
    WITH locked AS MATERIALIZED (
      SELECT * FROM vouchers WHERE code = ANY(${p([...new Set(reqs.map((r) => r.code))])}::text[]) ORDER BY id FOR UPDATE
    )
    SELECT x.ord::int AS ord, v.id AS voucher_id, v.code, v.pool_id, v.issuer_id, v.holder_kind, v.holder_id, v.amount_fen,
           v.balance_fen, v.held_fen, v.provider_id, v.valid_from, v.valid_until, v.status, p.value_type, p.min_spend_fen,
           p.ratio_bp, p.merchant_scope, p.banned_categories, p.redemption_mode, p.status AS pool_status,
           m.status AS merchant_status, m.categories AS merchant_categories, m.district AS merchant_district,
           enrolment.found IS NOT NULL AS enrolled, (x.step IS NOT NULL AND token.found IS NOT NULL) AS token_used
    FROM unnest(${p(reqs.map((r) => r.code))}::text[], ${p(reqs.map((r) => r.merchantId))}::uuid[],
                ${p(reqs.map((r) => r.tokenStep))}::bigint[]) WITH ORDINALITY AS x (code, merchant_id, step, ord)
    JOIN locked v ON v.code = x.code
    JOIN pools p ON p.id = v.pool_id
    LEFT JOIN organisations m ON m.id = x.merchant_id AND m.type = 'merchant'
    -- one index probe per row, whatever the statistics say: as EXISTS in the select list the
    -- planner may hash the whole table instead, and with statistics that lag a growing
    -- redemption_keys it did, reading every key of every redemption for each batch
    -- (docs/BENCHMARKS.md, Seventh session)
    LEFT JOIN LATERAL (SELECT 1 AS found FROM pool_merchants pm WHERE pm.pool_id = v.pool_id AND pm.merchant_id = x.merchant_id LIMIT 1) enrolment ON true
    LEFT JOIN LATERAL (SELECT 1 AS found FROM redemption_keys rk WHERE rk.voucher_id = v.id AND rk.token_step = x.step LIMIT 1) token ON true`);
  const out: (RedemptionFacts | null)[] = reqs.map(() => null);
  for (const { ord, ...facts } of rows) out[ord - 1] = facts;
  return out;
}

export interface RedemptionRow {
  id: string; pool_id: string; issuer_id: string; voucher_id: string; merchant_id: string;
  holder_kind: 'enterprise' | 'consumer'; holder_id: string; cashier_id: string; mode: 'direct' | 'confirm';
  status: 'pending' | 'posted' | 'rejected' | 'voided' | 'reversed'; order_amount_fen: number; discount_fen: number;
  balance_after_fen: number; order_ref: string; token_step: number | null; contract_ref: string | null;
  invoice_no: string | null; delivery_proof: Record<string, string | number | boolean> | null; created_at: string;
  posted_at: string | null; decided_at: string | null; decided_by: string | null; decision_reason: string | null;
  settlement_batch_id: string | null;
}

/** A redemption with its voucher code, its pool's rule facts and its reversal, if any. */
export interface RedemptionFull extends RedemptionRow {
  voucher_code: string; value_type: 'fixed' | 'ratio' | 'balance'; reversal_window_minutes: number | null;
  rv_id: string | null; rv_amount_fen: number | null; rv_destination: 'voucher' | 'available' | null;
  rv_reason: string | null; rv_reversed_by: string | null; rv_created_at: string | null;
}

export type NewRedemption = Omit<RedemptionRow, 'decided_at' | 'decided_by' | 'decision_reason' | 'settlement_batch_id'>;

/**
 * Inserts a redemption (a trigger writes its redemption_keys row in the same statement). Null
 * when its dynamic token step was already used on this voucher: the unique index
 * redemption_keys_token_once refused the statement, so the caller's transaction (or savepoint)
 * must be rolled back, as the service's TOKEN_REPLAYED problem does.
 */
export async function insertRedemption(tx: Queryable, r: NewRedemption): Promise<RedemptionRow | null> {
  try {
    const rows = await tx.query<RedemptionRow>(sql`
      INSERT INTO redemptions (id, pool_id, issuer_id, voucher_id, merchant_id, holder_kind, holder_id, cashier_id, mode, status,
        order_amount_fen, discount_fen, balance_after_fen, order_ref, token_step, contract_ref, invoice_no, delivery_proof,
        created_at, posted_at)
      VALUES (${r.id}, ${r.pool_id}, ${r.issuer_id}, ${r.voucher_id}, ${r.merchant_id}, ${r.holder_kind}, ${r.holder_id},
        ${r.cashier_id}, ${r.mode}, ${r.status}, ${r.order_amount_fen}, ${r.discount_fen}, ${r.balance_after_fen}, ${r.order_ref},
        ${r.token_step}, ${r.contract_ref}, ${r.invoice_no},
        ${r.delivery_proof === null ? null : JSON.stringify(r.delivery_proof)}::jsonb, ${r.created_at}::timestamptz,
        ${r.posted_at}::timestamptz)
      RETURNING *`);
    return rows[0] ?? null;
  } catch (err) {
    const pg = pgErrorOf(err);
    if (pg?.code === PG_UNIQUE_VIOLATION && pg.constraint === 'redemption_keys_token_once') return null;
    throw err;
  }
}

/**
 * The batch form of `insertRedemption`: one statement. A token step used meanwhile fails the
 * whole statement (redemption_keys_token_once), and with it the batch, whose members then run
 * singly.
 */
export async function insertRedemptions(tx: Queryable, rs: NewRedemption[]): Promise<RedemptionRow[]> {
  if (rs.length === 0) return [];
  const p = sql.param;
  const col = <K extends keyof NewRedemption>(k: K) => p(rs.map((r) => r[k]));
  return tx.query<RedemptionRow>(sql`
    INSERT INTO redemptions (id, pool_id, issuer_id, voucher_id, merchant_id, holder_kind, holder_id, cashier_id, mode, status,
      order_amount_fen, discount_fen, balance_after_fen, order_ref, token_step, contract_ref, invoice_no, delivery_proof,
      created_at, posted_at)
    SELECT * FROM unnest(${col('id')}::uuid[], ${col('pool_id')}::uuid[], ${col('issuer_id')}::uuid[], ${col('voucher_id')}::uuid[],
      ${col('merchant_id')}::uuid[], ${col('holder_kind')}::text[], ${col('holder_id')}::uuid[], ${col('cashier_id')}::uuid[],
      ${col('mode')}::text[], ${col('status')}::text[], ${col('order_amount_fen')}::bigint[], ${col('discount_fen')}::bigint[],
      ${col('balance_after_fen')}::bigint[], ${col('order_ref')}::text[], ${col('token_step')}::bigint[], ${col('contract_ref')}::text[],
      ${col('invoice_no')}::text[], ${p(rs.map((r) => (r.delivery_proof === null ? null : JSON.stringify(r.delivery_proof))))}::jsonb[],
      ${col('created_at')}::timestamptz[], ${col('posted_at')}::timestamptz[])
    RETURNING *`);
}

const FULL = sql`
  SELECT r.*, v.code AS voucher_code, p.value_type, p.reversal_window_minutes,
         rv.id AS rv_id, rv.amount_fen AS rv_amount_fen, rv.destination AS rv_destination, rv.reason AS rv_reason,
         rv.reversed_by AS rv_reversed_by, rv.created_at AS rv_created_at
  FROM redemptions r JOIN vouchers v ON v.id = r.voucher_id JOIN pools p ON p.id = r.pool_id
  LEFT JOIN redemption_reversals rv ON rv.redemption_id = r.id`;

/**
 * One redemption with its voucher code and reversal. With `lock`, the row is locked first and
 * then read by a second statement: a statement that waited for the lock would still see the
 * joined reversal as of before the wait.
 */
export async function findFull(q: Queryable, id: string, lock = false): Promise<RedemptionFull | null> {
  if (lock && (await q.query(sql`SELECT id FROM redemptions WHERE id = ${id} FOR UPDATE`)).length === 0) return null;
  const rows = await q.query<RedemptionFull>(sql`${FULL} WHERE r.id = ${id}`);
  return rows[0] ?? null;
}

/** Moves a redemption out of `from` in one conditional statement; false when it was not there. */
export async function setStatus(
  tx: Queryable, id: string, from: RedemptionRow['status'], to: RedemptionRow['status'], at: Date,
  decision: { by: string | null; reason: string | null; posted: boolean } | null,
): Promise<boolean> {
  const now = at.toISOString();
  const extra = decision
    ? sql`, decided_at = ${now}, decided_by = ${decision.by}, decision_reason = ${decision.reason}
          ${decision.posted ? sql`, posted_at = ${now}` : sql``}`
    : sql``;
  const rows = await tx.query(sql`UPDATE redemptions SET status = ${to} ${extra} WHERE id = ${id} AND status = ${from} RETURNING id`);
  return rows.length === 1;
}

export interface NewReversal {
  id: string; redemption_id: string; pool_id: string; issuer_id: string; voucher_id: string; merchant_id: string;
  amount_fen: number; destination: 'voucher' | 'available'; reason: string | null; reversed_by: string; created_at: string;
}

export async function insertReversal(tx: Queryable, r: NewReversal): Promise<void> {
  await tx.query(sql`
    INSERT INTO redemption_reversals (id, redemption_id, pool_id, issuer_id, voucher_id, merchant_id, amount_fen, destination,
      reason, reversed_by, created_at)
    VALUES (${r.id}, ${r.redemption_id}, ${r.pool_id}, ${r.issuer_id}, ${r.voucher_id}, ${r.merchant_id}, ${r.amount_fen},
      ${r.destination}, ${r.reason}, ${r.reversed_by}, ${r.created_at}::timestamptz)`);
}

/** Pending B2B redemptions older than `cutoff`, locked; rows another transaction holds are skipped. */
export async function lockStalePending(tx: Queryable, cutoff: Date, limit: number): Promise<RedemptionFull[]> {
  return tx.query<RedemptionFull>(sql`${FULL}
    WHERE r.status = 'pending' AND r.created_at <= ${cutoff.toISOString()}
    ORDER BY r.created_at, r.id LIMIT ${limit} FOR UPDATE OF r SKIP LOCKED`);
}

/** Who may see which redemptions: merchants their own, holders theirs, issuers their issuer's. */
export interface Visibility {
  all: boolean;
  merchantIds: string[];
  enterpriseIds: string[];
  consumerId: string | null;
  issuerIds: string[];
}

function uuidList(ids: string[]): SQL {
  return sql.join(ids.map((i) => sql`${i}::uuid`), sql`, `);
}

function visibleSql(v: Visibility): SQL {
  if (v.all) return sql`TRUE`;
  const any: SQL[] = [];
  if (v.merchantIds.length > 0) any.push(sql`r.merchant_id IN (${uuidList(v.merchantIds)})`);
  if (v.enterpriseIds.length > 0) any.push(sql`(r.holder_kind = 'enterprise' AND r.holder_id IN (${uuidList(v.enterpriseIds)}))`);
  if (v.consumerId) any.push(sql`(r.holder_kind = 'consumer' AND r.holder_id = ${v.consumerId}::uuid)`);
  if (v.issuerIds.length > 0) any.push(sql`r.issuer_id IN (${uuidList(v.issuerIds)})`);
  return any.length > 0 ? sql`(${sql.join(any, sql` OR `)})` : sql`FALSE`;
}

export interface RedemptionFilter {
  status?: string;
  poolId?: string;
  voucherId?: string;
  beforeCreatedAt?: string;
  beforeId?: string;
  limit: number;
}

export async function list(q: Queryable, v: Visibility, f: RedemptionFilter): Promise<RedemptionFull[]> {
  const where: SQL[] = [visibleSql(v)];
  if (f.status) where.push(sql`r.status = ${f.status}`);
  if (f.poolId) where.push(sql`r.pool_id = ${f.poolId}`);
  if (f.voucherId) where.push(sql`r.voucher_id = ${f.voucherId}`);
  if (f.beforeCreatedAt && f.beforeId) where.push(sql`(r.created_at, r.id) < (${f.beforeCreatedAt}::timestamptz, ${f.beforeId}::uuid)`);
  return q.query<RedemptionFull>(sql`${FULL} WHERE ${sql.join(where, sql` AND `)} ORDER BY r.created_at DESC, r.id DESC LIMIT ${f.limit}`);
}
