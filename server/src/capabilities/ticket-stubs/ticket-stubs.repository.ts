/** SQL of ticket stubs: imported hashes, partner keys and the single-use table. */
import { sql, type Queryable } from '../../platform/db';

const INSERT_CHUNK_ROWS = 1000;

/** Stores the hashes; returns how many were new (the import is idempotent). */
export async function insertStubs(tx: Queryable, poolId: string, hashes: string[], by: string, at: Date): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < hashes.length; i += INSERT_CHUNK_ROWS) {
    const values = hashes.slice(i, i + INSERT_CHUNK_ROWS)
      .map((h) => sql`(${poolId}::uuid, ${h}, ${by}::uuid, ${at.toISOString()}::timestamptz)`);
    const rows = await tx.query(sql`INSERT INTO ticket_stubs (pool_id, code_sha256, imported_by, imported_at)
      VALUES ${sql.join(values, sql`, `)} ON CONFLICT DO NOTHING RETURNING code_sha256`);
    inserted += rows.length;
  }
  return inserted;
}

/** Marks an imported stub used, in one statement: false when it was never imported or is already used. */
export async function useImported(tx: Queryable, poolId: string, hash: string, holderId: string, at: Date): Promise<boolean> {
  const rows = await tx.query(sql`
    INSERT INTO ticket_stub_uses (pool_id, code_sha256, origin, holder_id, used_at)
    SELECT s.pool_id, s.code_sha256, 'imported', ${holderId}::uuid, ${at.toISOString()}::timestamptz
    FROM ticket_stubs s WHERE s.pool_id = ${poolId} AND s.code_sha256 = ${hash}
    ON CONFLICT (pool_id, code_sha256) DO NOTHING RETURNING code_sha256`);
  return rows.length === 1;
}

/** Marks a verified partner-signed stub used: false when it is already used. */
export async function useSigned(tx: Queryable, poolId: string, hash: string, holderId: string, at: Date): Promise<boolean> {
  const rows = await tx.query(sql`
    INSERT INTO ticket_stub_uses (pool_id, code_sha256, origin, holder_id, used_at)
    VALUES (${poolId}, ${hash}, 'signed', ${holderId}, ${at.toISOString()})
    ON CONFLICT (pool_id, code_sha256) DO NOTHING RETURNING code_sha256`);
  return rows.length === 1;
}

export async function partnerKey(q: Queryable, poolId: string): Promise<{ secret: string; set_at: string } | null> {
  const rows = await q.query<{ secret: string; set_at: string }>(sql`SELECT secret, set_at FROM ticket_stub_partner_keys WHERE pool_id = ${poolId}`);
  return rows[0] ?? null;
}

export async function upsertPartnerKey(tx: Queryable, poolId: string, secret: string, by: string, at: Date): Promise<void> {
  await tx.query(sql`INSERT INTO ticket_stub_partner_keys (pool_id, secret, set_by, set_at)
    VALUES (${poolId}, ${secret}, ${by}, ${at.toISOString()})
    ON CONFLICT (pool_id) DO UPDATE SET secret = EXCLUDED.secret, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`);
}

export async function counts(q: Queryable, poolId: string): Promise<{ imported: number; used: number }> {
  const [row] = await q.query<{ imported: number; used: number }>(sql`SELECT
    (SELECT count(*) FROM ticket_stubs WHERE pool_id = ${poolId})::int AS imported,
    (SELECT count(*) FROM ticket_stub_uses WHERE pool_id = ${poolId})::int AS used`);
  return row ?? { imported: 0, used: 0 };
}
