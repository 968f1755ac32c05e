/** SQL of settlement: the groups left to settle, batches, claims of redemptions and reversals, lines, lists. */
import type { Funder } from '@hqt/shared';
import { sql, type Queryable, type SQL } from '../../platform/db';

/** An issuer × merchant with unsettled rows before a cut-off; its batches are made in one transaction. */
export interface SettlementGroup {
  issuer_id: string;
  merchant_id: string;
}

const UNSETTLED_REDEMPTION = sql`settlement_batch_id IS NULL AND status IN ('posted', 'reversed')`;

export async function unsettledGroups(q: Queryable, cutoff: Date, limit: number): Promise<SettlementGroup[]> {
  const at = cutoff.toISOString();
  return q.query<SettlementGroup>(sql`
    SELECT issuer_id, merchant_id FROM (
      SELECT issuer_id, merchant_id FROM redemptions WHERE ${UNSETTLED_REDEMPTION} AND posted_at < ${at}
      UNION
      SELECT issuer_id, merchant_id FROM redemption_reversals WHERE settlement_batch_id IS NULL AND created_at < ${at}) g
    ORDER BY issuer_id, merchant_id LIMIT ${limit}`);
}

export interface GroupPool {
  pool_id: string;
  funders: Funder[];
}

/** The pools of a group's unsettled rows, with their funders. */
export async function unsettledPools(q: Queryable, g: SettlementGroup, cutoff: Date): Promise<GroupPool[]> {
  const at = cutoff.toISOString();
  return q.query<GroupPool>(sql`
    SELECT p.id AS pool_id, p.funders FROM pools p WHERE p.id IN (
      SELECT pool_id FROM redemptions
      WHERE ${UNSETTLED_REDEMPTION} AND posted_at < ${at} AND issuer_id = ${g.issuer_id} AND merchant_id = ${g.merchant_id}
      UNION
      SELECT pool_id FROM redemption_reversals
      WHERE settlement_batch_id IS NULL AND created_at < ${at} AND issuer_id = ${g.issuer_id} AND merchant_id = ${g.merchant_id})
    ORDER BY p.id`);
}

export interface NewBatch {
  id: string;
  issuer_id: string;
  merchant_id: string;
  funder_code: string;
  funder_name_zh: string | null;
  cutoff_at: string;
  business_day: string;
  created_at: string;
}

/** Inserts the batches; a key that already exists (another run) is skipped and not returned. */
export async function insertBatches(tx: Queryable, batches: NewBatch[]): Promise<{ id: string; funder_code: string }[]> {
  const sorted = [...batches].sort((a, b) => a.funder_code.localeCompare(b.funder_code));
  const values = sorted.map((b) => sql`(${b.id}::uuid, ${b.issuer_id}::uuid, ${b.merchant_id}::uuid, ${b.funder_code}, ${b.funder_name_zh},
    ${b.cutoff_at}::timestamptz, ${b.business_day}::date, ${b.created_at}::timestamptz)`);
  return tx.query(sql`
    INSERT INTO settlement_batches (id, issuer_id, merchant_id, funder_code, funder_name_zh, cutoff_at, business_day, created_at)
    VALUES ${sql.join(values, sql`, `)}
    ON CONFLICT (issuer_id, merchant_id, funder_code, cutoff_at) DO NOTHING
    RETURNING id, funder_code`);
}

/** A claimed redemption or reversal; `discount_fen` is positive for both. */
export interface ClaimedRow {
  kind: 'redemption' | 'reversal';
  redemption_id: string;
  reversal_id: string | null;
  pool_id: string;
  at: string;
  order_amount_fen: number;
  discount_fen: number;
}

function poolBatchValues(poolBatch: Map<string, string>): SQL {
  const rows = [...poolBatch.entries()].map(([poolId, batchId]) => sql`(${poolId}::uuid, ${batchId}::uuid)`);
  return sql`(VALUES ${sql.join(rows, sql`, `)}) AS m (pool_id, batch_id)`;
}

/**
 * Claims the group's unsettled posted redemptions before the cut-off (oldest first, at most
 * `limit`): ONE conditional UPDATE sets each row's batch, so a row another run claimed first
 * is skipped, never taken twice.
 */
export async function claimRedemptions(
  tx: Queryable, g: SettlementGroup, cutoff: Date, poolBatch: Map<string, string>, limit: number,
): Promise<ClaimedRow[]> {
  return tx.query<ClaimedRow>(sql`
    UPDATE redemptions r SET settlement_batch_id = m.batch_id
    FROM ${poolBatchValues(poolBatch)}
    WHERE r.id IN (
        SELECT id FROM redemptions
        WHERE ${UNSETTLED_REDEMPTION} AND posted_at < ${cutoff.toISOString()} AND issuer_id = ${g.issuer_id} AND merchant_id = ${g.merchant_id}
        ORDER BY posted_at, id LIMIT ${limit})
      AND r.pool_id = m.pool_id AND r.settlement_batch_id IS NULL AND r.status IN ('posted', 'reversed')
    RETURNING 'redemption' AS kind, r.id AS redemption_id, NULL::uuid AS reversal_id, r.pool_id, r.posted_at AS at,
              r.order_amount_fen, r.discount_fen`);
}

/** Claims the group's unsettled reversals before the cut-off, as `claimRedemptions` does. */
export async function claimReversals(
  tx: Queryable, g: SettlementGroup, cutoff: Date, poolBatch: Map<string, string>, limit: number,
): Promise<ClaimedRow[]> {
  return tx.query<ClaimedRow>(sql`
    UPDATE redemption_reversals x SET settlement_batch_id = m.batch_id
    FROM ${poolBatchValues(poolBatch)}, redemptions r
    WHERE x.id IN (
        SELECT id FROM redemption_reversals
        WHERE settlement_batch_id IS NULL AND created_at < ${cutoff.toISOString()} AND issuer_id = ${g.issuer_id} AND merchant_id = ${g.merchant_id}
        ORDER BY created_at, id LIMIT ${limit})
      AND x.pool_id = m.pool_id AND x.settlement_batch_id IS NULL AND r.id = x.redemption_id
    RETURNING 'reversal' AS kind, x.redemption_id, x.id AS reversal_id, x.pool_id, x.created_at AS at,
              r.order_amount_fen, x.amount_fen AS discount_fen`);
}

export interface NewLine {
  batch_id: string;
  kind: 'redemption' | 'reversal';
  redemption_id: string;
  reversal_id: string | null;
  pool_id: string;
  funder_code: string;
  at: string;
  order_amount_fen: number;
  /** signed: negative for a reversal */
  discount_fen: number;
  /** signed share of this batch's funder */
  amount_fen: number;
}

const LINE_INSERT_CHUNK = 1_000;

export async function insertLines(tx: Queryable, lines: NewLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += LINE_INSERT_CHUNK) {
    const values = lines.slice(i, i + LINE_INSERT_CHUNK).map((l) => sql`(${l.batch_id}::uuid, ${l.kind}, ${l.redemption_id}::uuid,
      ${l.reversal_id}::uuid, ${l.pool_id}::uuid, ${l.funder_code}, ${l.at}::timestamptz, ${l.order_amount_fen}::bigint,
      ${l.discount_fen}::bigint, ${l.amount_fen}::bigint)`);
    await tx.query(sql`
      INSERT INTO settlement_lines (batch_id, kind, redemption_id, reversal_id, pool_id, funder_code, at, order_amount_fen,
        discount_fen, amount_fen)
      VALUES ${sql.join(values, sql`, `)}`);
  }
}

function uuidList(ids: string[]): SQL {
  return sql.join(ids.map((i) => sql`${i}::uuid`), sql`, `);
}

/** Sets each batch's counts and sums from its lines; returns the ids of batches left without a line. */
export async function totalBatches(tx: Queryable, batchIds: string[]): Promise<string[]> {
  const updated = await tx.query<{ id: string }>(sql`
    UPDATE settlement_batches b SET redemption_count = s.rc, reversal_count = s.vc, redeemed_fen = s.rf, reversed_fen = s.vf,
      amount_fen = s.rf - s.vf
    FROM (SELECT batch_id,
                 count(*) FILTER (WHERE kind = 'redemption')::int AS rc, count(*) FILTER (WHERE kind = 'reversal')::int AS vc,
                 coalesce(sum(amount_fen) FILTER (WHERE kind = 'redemption'), 0)::bigint AS rf,
                 coalesce(-sum(amount_fen) FILTER (WHERE kind = 'reversal'), 0)::bigint AS vf
          FROM settlement_lines WHERE batch_id IN (${uuidList(batchIds)}) GROUP BY batch_id) s
    WHERE b.id = s.batch_id RETURNING b.id`);
  const withLines = new Set(updated.map((r) => r.id));
  return batchIds.filter((id) => !withLines.has(id));
}

export async function deleteBatches(tx: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(sql`DELETE FROM settlement_batches WHERE id IN (${uuidList(ids)}) AND status = 'draft'`);
}

export interface BatchRow {
  id: string; issuer_id: string; issuer_name_zh: string; merchant_id: string; merchant_name_zh: string; funder_code: string;
  funder_name_zh: string | null; cutoff_at: string; business_day: string; status: 'draft' | 'approved' | 'paid';
  redemption_count: number; reversal_count: number; redeemed_fen: number; reversed_fen: number; amount_fen: number;
  created_by: string | null; created_at: string; approved_by: string | null; approved_at: string | null; paid_by: string | null;
  paid_at: string | null; payment_ref: string | null;
}

const BATCH = sql`
  SELECT b.id, b.issuer_id, i.name_zh AS issuer_name_zh, b.merchant_id, m.name_zh AS merchant_name_zh, b.funder_code,
         b.funder_name_zh, b.cutoff_at, b.business_day::text AS business_day, b.status, b.redemption_count, b.reversal_count,
         b.redeemed_fen, b.reversed_fen, b.amount_fen, b.created_by, b.created_at, b.approved_by, b.approved_at, b.paid_by,
         b.paid_at, b.payment_ref
  FROM settlement_batches b JOIN organisations i ON i.id = b.issuer_id JOIN organisations m ON m.id = b.merchant_id`;

/** One batch; with `lock`, its row is locked first (a transition), then read. */
export async function findBatch(q: Queryable, id: string, lock = false): Promise<BatchRow | null> {
  if (lock && (await q.query(sql`SELECT id FROM settlement_batches WHERE id = ${id} FOR UPDATE`)).length === 0) return null;
  const rows = await q.query<BatchRow>(sql`${BATCH} WHERE b.id = ${id}`);
  return rows[0] ?? null;
}

export async function findBatches(q: Queryable, ids: string[]): Promise<BatchRow[]> {
  if (ids.length === 0) return [];
  return q.query<BatchRow>(sql`${BATCH} WHERE b.id IN (${uuidList(ids)}) ORDER BY b.funder_code`);
}

/** Who sees which batches: issuers theirs, a merchant's admins their merchant's, the platform all. */
export interface Visibility {
  all: boolean;
  issuerIds: string[];
  merchantIds: string[];
}

export function visibleSql(v: Visibility): SQL {
  if (v.all) return sql`TRUE`;
  const any: SQL[] = [];
  if (v.issuerIds.length > 0) any.push(sql`b.issuer_id IN (${uuidList(v.issuerIds)})`);
  if (v.merchantIds.length > 0) any.push(sql`b.merchant_id IN (${uuidList(v.merchantIds)})`);
  return any.length > 0 ? sql`(${sql.join(any, sql` OR `)})` : sql`FALSE`;
}

export interface BatchFilter {
  status?: string;
  merchantId?: string;
  businessDay?: string;
  beforeCreatedAt?: string;
  beforeId?: string;
  limit: number;
}

export async function listBatches(q: Queryable, v: Visibility, f: BatchFilter): Promise<BatchRow[]> {
  const where: SQL[] = [visibleSql(v)];
  if (f.status) where.push(sql`b.status = ${f.status}`);
  if (f.merchantId) where.push(sql`b.merchant_id = ${f.merchantId}`);
  if (f.businessDay) where.push(sql`b.business_day = ${f.businessDay}::date`);
  if (f.beforeCreatedAt && f.beforeId) where.push(sql`(b.created_at, b.id) < (${f.beforeCreatedAt}::timestamptz, ${f.beforeId}::uuid)`);
  return q.query<BatchRow>(sql`${BATCH} WHERE ${sql.join(where, sql` AND `)} ORDER BY b.created_at DESC, b.id DESC LIMIT ${f.limit}`);
}

export interface PoolTotalRow {
  pool_id: string;
  pool_name_zh: string;
  line_count: number;
  amount_fen: number;
}

export async function poolTotals(q: Queryable, batchId: string): Promise<PoolTotalRow[]> {
  return q.query<PoolTotalRow>(sql`
    SELECT l.pool_id, p.name_zh AS pool_name_zh, count(*)::int AS line_count, sum(l.amount_fen)::bigint AS amount_fen
    FROM settlement_lines l JOIN pools p ON p.id = l.pool_id
    WHERE l.batch_id = ${batchId} GROUP BY l.pool_id, p.name_zh ORDER BY l.pool_id`);
}

export interface StatementLineRow {
  id: number; kind: 'redemption' | 'reversal'; at: string; voucher_code: string; order_ref: string; pool_name_zh: string;
  order_amount_fen: number; discount_fen: number; amount_fen: number;
}

export async function statementLines(q: Queryable, batchId: string, afterId: number, limit: number): Promise<StatementLineRow[]> {
  return q.query<StatementLineRow>(sql`
    SELECT l.id, l.kind, l.at, v.code AS voucher_code, r.order_ref, p.name_zh AS pool_name_zh, l.order_amount_fen, l.discount_fen,
           l.amount_fen
    FROM settlement_lines l JOIN redemptions r ON r.id = l.redemption_id JOIN vouchers v ON v.id = r.voucher_id
      JOIN pools p ON p.id = l.pool_id
    WHERE l.batch_id = ${batchId} AND l.id > ${afterId} ORDER BY l.id LIMIT ${limit}`);
}

export async function approve(tx: Queryable, id: string, by: string, at: Date): Promise<boolean> {
  const rows = await tx.query(sql`
    UPDATE settlement_batches SET status = 'approved', approved_by = ${by}, approved_at = ${at.toISOString()}
    WHERE id = ${id} AND status = 'draft' RETURNING id`);
  return rows.length === 1;
}

export async function markPaid(tx: Queryable, id: string, by: string, at: Date, paymentRef: string): Promise<boolean> {
  const rows = await tx.query(sql`
    UPDATE settlement_batches SET status = 'paid', paid_by = ${by}, paid_at = ${at.toISOString()}, payment_ref = ${paymentRef}
    WHERE id = ${id} AND status = 'approved' RETURNING id`);
  return rows.length === 1;
}
