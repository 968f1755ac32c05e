/** SQL of the audit chain. */
import { sql, type Queryable } from '../../platform/db';

export interface AuditRow {
  id: number;
  at: string;
  actor_user_id: string | null;
  actor_org_id: string | null;
  org_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  summary: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** Serialises chain appends: the lock is held until the writing transaction ends. */
const AUDIT_CHAIN_LOCK_KEY = 7_115_002;

export async function lockChain(tx: Queryable): Promise<void> {
  await tx.query(sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY})`);
}

export async function lastHash(tx: Queryable): Promise<string | null> {
  const rows = await tx.query<{ hash: string }>(sql`SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`);
  return rows[0]?.hash ?? null;
}

export async function insertEntry(tx: Queryable, row: Omit<AuditRow, 'id'>): Promise<number> {
  const rows = await tx.query<{ id: number }>(sql`
    INSERT INTO audit_log (at, actor_user_id, actor_org_id, org_id, action, target_type, target_id, summary, prev_hash, hash)
    VALUES (${row.at}, ${row.actor_user_id}, ${row.actor_org_id}, ${row.org_id}, ${row.action}, ${row.target_type},
            ${row.target_id}, ${JSON.stringify(row.summary)}::jsonb, ${row.prev_hash}, ${row.hash})
    RETURNING id`);
  return (rows[0] as { id: number }).id;
}

export async function pageAfter(q: Queryable, afterId: number, limit: number): Promise<AuditRow[]> {
  return q.query<AuditRow>(sql`SELECT * FROM audit_log WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`);
}

export async function listForOrgs(q: Queryable, orgIds: string[] | 'all', beforeId: number | null, limit: number): Promise<AuditRow[]> {
  const before = beforeId === null ? sql`TRUE` : sql`id < ${beforeId}`;
  const scope = orgIds === 'all' ? sql`TRUE` : sql`org_id IN (${sql.join(orgIds.map((o) => sql`${o}::uuid`), sql`, `)})`;
  return q.query<AuditRow>(sql`SELECT * FROM audit_log WHERE ${before} AND ${scope} ORDER BY id DESC LIMIT ${limit}`);
}
