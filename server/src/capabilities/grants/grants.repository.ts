/** SQL of grant batches and their rows, and the holder look-ups a grant needs. */
import type { PoolRow } from '../pools';
import { sql, type Queryable } from '../../platform/db';

export interface GrantBatchRow {
  id: string; pool_id: string; issuer_id: string; mode: 'csv' | 'all_matching'; file_name: string | null;
  file_sha256: string | null; status: 'pending' | 'running' | 'done'; total: number; processed: number; granted: number;
  skipped: number; created_by: string; created_at: string; finished_at: string | null;
}

export interface GrantRowRow {
  grant_id: string; row_no: number; identifier_raw: string; identifier: string | null; amount_fen: number | null;
  status: 'pending' | 'granted' | 'skipped'; holder_id: string | null; voucher_id: string | null; reason: string | null;
  detail: string | null; attempts: number; processed_at: string | null;
}

export interface NewGrantRow {
  rowNo: number; identifierRaw: string; identifier: string | null; amountFen: number | null;
  /** set for rows refused on upload (bad identifier, bad amount, duplicate line) */
  skip: { reason: string; detail: string } | null;
}

const INSERT_CHUNK_ROWS = 1000;

export async function insertBatch(
  tx: Queryable, b: { poolId: string; issuerId: string; mode: 'csv' | 'all_matching'; fileName: string | null; fileSha256: string | null; createdBy: string },
  rows: NewGrantRow[], at: Date,
): Promise<GrantBatchRow> {
  const skipped = rows.filter((r) => r.skip).length;
  const done = skipped === rows.length;
  const [batch] = await tx.query<GrantBatchRow>(sql`
    INSERT INTO grant_batches (pool_id, issuer_id, mode, file_name, file_sha256, status, total, processed, skipped, created_by, created_at, finished_at)
    VALUES (${b.poolId}, ${b.issuerId}, ${b.mode}, ${b.fileName}, ${b.fileSha256}, ${done ? 'done' : 'pending'}, ${rows.length},
      ${skipped}, ${skipped}, ${b.createdBy}, ${at.toISOString()}, ${done ? at.toISOString() : null})
    RETURNING *`);
  const id = (batch as GrantBatchRow).id;
  for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
    const values = rows.slice(i, i + INSERT_CHUNK_ROWS).map((r) => sql`(${id}::uuid, ${r.rowNo}::int, ${r.identifierRaw}, ${r.identifier},
      ${r.amountFen}::bigint, ${r.skip ? 'skipped' : 'pending'}, ${r.skip?.reason ?? null}, ${r.skip?.detail ?? null},
      ${r.skip ? at.toISOString() : null}::timestamptz)`);
    await tx.query(sql`INSERT INTO grant_rows (grant_id, row_no, identifier_raw, identifier, amount_fen, status, reason, detail, processed_at)
      VALUES ${sql.join(values, sql`, `)}`);
  }
  return batch as GrantBatchRow;
}

export async function findBatch(q: Queryable, id: string): Promise<GrantBatchRow | null> {
  const rows = await q.query<GrantBatchRow>(sql`SELECT * FROM grant_batches WHERE id = ${id}`);
  return rows[0] ?? null;
}

export async function lockBatch(tx: Queryable, id: string): Promise<GrantBatchRow | null> {
  const rows = await tx.query<GrantBatchRow>(sql`SELECT * FROM grant_batches WHERE id = ${id} FOR UPDATE`);
  return rows[0] ?? null;
}

export async function batchesOfPool(q: Queryable, poolId: string, limit: number): Promise<GrantBatchRow[]> {
  return q.query<GrantBatchRow>(sql`SELECT * FROM grant_batches WHERE pool_id = ${poolId} ORDER BY created_at DESC, id DESC LIMIT ${limit}`);
}

/** Batches with rows left, oldest first. */
export async function openBatchIds(q: Queryable, limit: number): Promise<string[]> {
  const rows = await q.query<{ id: string }>(sql`SELECT id FROM grant_batches WHERE status <> 'done' ORDER BY created_at, id LIMIT ${limit}`);
  return rows.map((r) => r.id);
}

export async function pendingRows(tx: Queryable, grantId: string, afterRowNo: number, limit: number): Promise<GrantRowRow[]> {
  return tx.query<GrantRowRow>(sql`SELECT * FROM grant_rows WHERE grant_id = ${grantId} AND status = 'pending' AND row_no > ${afterRowNo}
    ORDER BY row_no LIMIT ${limit}`);
}

export type RowOutcome =
  | { status: 'granted'; holderId: string; voucherId: string }
  | { status: 'skipped'; holderId: string | null; reason: string; detail: string | null };

/** Records the chunk's outcomes in one statement; every row must still have been pending. */
export async function finishRows(tx: Queryable, grantId: string, done: { rowNo: number; outcome: RowOutcome }[], at: Date): Promise<void> {
  if (done.length === 0) return;
  const values = done.map(({ rowNo, outcome: o }) => sql`(${rowNo}::int, ${o.status}::text, ${o.holderId}::uuid,
    ${o.status === 'granted' ? o.voucherId : null}::uuid, ${o.status === 'skipped' ? o.reason : null}::text,
    ${o.status === 'skipped' && o.detail ? o.detail.slice(0, 500) : null}::text)`);
  const rows = await tx.query(sql`UPDATE grant_rows AS g SET status = v.status, holder_id = v.holder_id, voucher_id = v.voucher_id,
      reason = v.reason, detail = v.detail, processed_at = ${at.toISOString()}
    FROM (VALUES ${sql.join(values, sql`, `)}) AS v (row_no, status, holder_id, voucher_id, reason, detail)
    WHERE g.grant_id = ${grantId} AND g.row_no = v.row_no AND g.status = 'pending' RETURNING g.row_no`);
  if (rows.length !== done.length) throw new Error(`assertion: ${done.length - rows.length} rows of grant ${grantId} were no longer pending`);
}

export async function bumpAttempts(tx: Queryable, grantId: string, rowNo: number): Promise<void> {
  await tx.query(sql`UPDATE grant_rows SET attempts = attempts + 1 WHERE grant_id = ${grantId} AND row_no = ${rowNo}`);
}

/** Adds a chunk's outcome to the batch's counters; the batch is done when every row is processed. */
export async function addProgress(tx: Queryable, grantId: string, granted: number, skipped: number, at: Date): Promise<GrantBatchRow> {
  const n = granted + skipped;
  const [row] = await tx.query<GrantBatchRow>(sql`
    UPDATE grant_batches SET processed = processed + ${n}, granted = granted + ${granted}, skipped = skipped + ${skipped},
      status = CASE WHEN processed + ${n} = total THEN 'done' ELSE 'running' END,
      finished_at = CASE WHEN processed + ${n} = total THEN ${at.toISOString()}::timestamptz ELSE NULL END
    WHERE id = ${grantId} RETURNING *`);
  if (!row) throw new Error(`assertion: grant batch ${grantId} vanished`);
  return row;
}

export interface ResultRow {
  row_no: number; identifier_raw: string; amount_fen: number | null; status: string; voucher_code: string | null;
  reason: string | null; detail: string | null;
}

export async function resultRows(q: Queryable, grantId: string, afterRowNo: number, limit: number): Promise<ResultRow[]> {
  return q.query<ResultRow>(sql`SELECT r.row_no, r.identifier_raw, r.amount_fen, r.status, v.code AS voucher_code, r.reason, r.detail
    FROM grant_rows r LEFT JOIN vouchers v ON v.id = r.voucher_id
    WHERE r.grant_id = ${grantId} AND r.row_no > ${afterRowNo} ORDER BY r.row_no LIMIT ${limit}`);
}

// ---- what a grant reads from other capabilities' tables ----

/** The pool row without an actor (the job has none). */
export async function poolById(q: Queryable, id: string): Promise<PoolRow | null> {
  const rows = await q.query<PoolRow>(sql`SELECT * FROM pools WHERE id = ${id}`);
  return rows[0] ?? null;
}

/** Active registered holders by normalised identifier (USCC of an enterprise, mobile of a consumer). */
export async function holdersByIdentifier(q: Queryable, audience: 'enterprise' | 'consumer', identifiers: string[]): Promise<Map<string, string>> {
  if (identifiers.length === 0) return new Map();
  const list = sql.join(identifiers.map((i) => sql`${i}`), sql`, `);
  const rows = audience === 'enterprise'
    ? await q.query<{ identifier: string; id: string }>(sql`SELECT uscc AS identifier, id FROM organisations
        WHERE uscc IN (${list}) AND type = 'enterprise' AND status = 'active'`)
    : await q.query<{ identifier: string; id: string }>(sql`SELECT u.phone AS identifier, u.id FROM users u
        WHERE u.phone IN (${list}) AND u.status = 'active'
          AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'consumer')`);
  return new Map(rows.map((r) => [r.identifier, r.id]));
}

/** Codes of the pool's grant vouchers by source reference. */
export async function grantCodesBySourceRef(q: Queryable, poolId: string, sourceRefs: string[]): Promise<Map<string, string>> {
  if (sourceRefs.length === 0) return new Map();
  const rows = await q.query<{ source_ref: string; code: string }>(sql`SELECT source_ref, code FROM vouchers
    WHERE pool_id = ${poolId} AND source = 'grant' AND source_ref IN (${sql.join(sourceRefs.map((r) => sql`${r}`), sql`, `)})`);
  return new Map(rows.map((r) => [r.source_ref, r.code]));
}

export interface EnterpriseCandidate {
  id: string; uscc: string; district: string | null; founded_on: string | null; headcount: number | null;
  tags: string[]; industry_codes: string[];
}

export async function activeEnterprises(q: Queryable, afterUscc: string, limit: number): Promise<EnterpriseCandidate[]> {
  return q.query<EnterpriseCandidate>(sql`SELECT id, uscc, district, founded_on::text AS founded_on, headcount, tags, industry_codes
    FROM organisations WHERE type = 'enterprise' AND status = 'active' AND uscc > ${afterUscc} ORDER BY uscc LIMIT ${limit}`);
}

export interface ConsumerCandidate {
  id: string; phone: string; real_name: boolean; residence_district: string | null;
}

export async function activeConsumers(q: Queryable, afterPhone: string, limit: number): Promise<ConsumerCandidate[]> {
  return q.query<ConsumerCandidate>(sql`SELECT u.id, u.phone, u.resident_id_hash IS NOT NULL AS real_name, u.residence_district
    FROM users u WHERE u.status = 'active' AND u.phone > ${afterPhone}
      AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'consumer')
    ORDER BY u.phone LIMIT ${limit}`);
}

export async function eligibleListOf(q: Queryable, poolId: string): Promise<Set<string>> {
  const rows = await q.query<{ identifier: string }>(sql`SELECT identifier FROM pool_eligible_list WHERE pool_id = ${poolId}`);
  return new Set(rows.map((r) => r.identifier));
}
