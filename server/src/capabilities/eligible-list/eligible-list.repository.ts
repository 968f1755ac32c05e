/** SQL of eligibility lists: the identifiers (pool_eligible_list) and the last upload of each pool. */
import { sql, type Queryable } from '../../platform/db';

/** Identifiers one INSERT carries (one text[] parameter). */
const INSERT_CHUNK_ROWS = 5_000;

export interface UploadRow {
  row_count: number;
  file_sha256: string;
  uploaded_by: string;
  uploaded_by_name: string | null;
  uploaded_at: string;
}

export interface NewUpload {
  poolId: string;
  rowCount: number;
  rejectedCount: number;
  fileName: string;
  fileSha256: string;
  by: string;
  at: Date;
}

/**
 * Records the upload, then swaps the identifiers; returns how many the previous list had. The
 * upsert comes first: a concurrent upload of the same pool waits on that row until this one
 * commits, and its DELETE (a new statement, a new snapshot) then sees and removes these rows.
 */
export async function replaceList(tx: Queryable, upload: NewUpload, identifiers: readonly string[]): Promise<number> {
  await tx.query(sql`
    INSERT INTO pool_eligible_list_uploads (pool_id, row_count, rejected_count, file_name, file_sha256, uploaded_by, uploaded_at)
    VALUES (${upload.poolId}, ${upload.rowCount}, ${upload.rejectedCount}, ${upload.fileName}, ${upload.fileSha256}, ${upload.by},
            ${upload.at.toISOString()})
    ON CONFLICT (pool_id) DO UPDATE SET row_count = EXCLUDED.row_count, rejected_count = EXCLUDED.rejected_count,
      file_name = EXCLUDED.file_name, file_sha256 = EXCLUDED.file_sha256, uploaded_by = EXCLUDED.uploaded_by,
      uploaded_at = EXCLUDED.uploaded_at`);
  const [deleted] = await tx.query<{ n: number }>(sql`
    WITH d AS (DELETE FROM pool_eligible_list WHERE pool_id = ${upload.poolId} RETURNING 1) SELECT count(*)::int AS n FROM d`);
  for (let i = 0; i < identifiers.length; i += INSERT_CHUNK_ROWS) {
    await tx.query(sql`INSERT INTO pool_eligible_list (pool_id, identifier)
      SELECT ${upload.poolId}::uuid, x FROM unnest(${sql.param(identifiers.slice(i, i + INSERT_CHUNK_ROWS))}::text[]) AS x`);
  }
  return deleted?.n ?? 0;
}

export async function lastUpload(q: Queryable, poolId: string): Promise<UploadRow | null> {
  const rows = await q.query<UploadRow>(sql`
    SELECT u.row_count, u.file_sha256, u.uploaded_by, us.display_name AS uploaded_by_name, u.uploaded_at
    FROM pool_eligible_list_uploads u LEFT JOIN users us ON us.id = u.uploaded_by WHERE u.pool_id = ${poolId}`);
  return rows[0] ?? null;
}

/** Identifiers after `after` (exclusive) in ascending order. */
export async function page(q: Queryable, poolId: string, after: string | undefined, limit: number): Promise<string[]> {
  const rows = await q.query<{ identifier: string }>(sql`SELECT identifier FROM pool_eligible_list
    WHERE pool_id = ${poolId} AND identifier > ${after ?? ''} ORDER BY identifier LIMIT ${limit}`);
  return rows.map((r) => r.identifier);
}

export async function isListed(q: Queryable, poolId: string, identifier: string): Promise<boolean> {
  const rows = await q.query(sql`SELECT 1 FROM pool_eligible_list WHERE pool_id = ${poolId} AND identifier = ${identifier}`);
  return rows.length === 1;
}
