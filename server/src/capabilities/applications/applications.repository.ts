/** SQL of applications and their attachments. */
import { sql, type Queryable, type SQL } from '../../platform/db';

export interface ApplicationRow {
  id: string; pool_id: string; issuer_id: string; applicant_id: string; submitted_by: string; provider_id: string;
  contract_ref: string; contract_key: string; contract_amount_fen: number; note: string | null;
  status: 'pending' | 'approved' | 'rejected'; granted_fen: number | null; voucher_id: string | null;
  decided_by: string | null; decided_at: string | null; reject_reason: string | null; created_at: string; updated_at: string;
}

export interface AttachmentRow {
  application_id: string; n: number; name: string; size_bytes: number; sha256: string;
  media_type: 'application/pdf' | 'image/jpeg' | 'image/png';
}

export interface NewApplication {
  poolId: string; issuerId: string; applicantId: string; submittedBy: string; providerId: string;
  contractRef: string; contractKey: string; contractAmountFen: number; note: string | null;
}

/** Inserts a pending application; null when the contract already has a live application. */
export async function insertApplication(tx: Queryable, a: NewApplication, at: Date): Promise<ApplicationRow | null> {
  const rows = await tx.query<ApplicationRow>(sql`
    INSERT INTO applications (pool_id, issuer_id, applicant_id, submitted_by, provider_id, contract_ref, contract_key,
      contract_amount_fen, note, created_at, updated_at)
    VALUES (${a.poolId}, ${a.issuerId}, ${a.applicantId}, ${a.submittedBy}, ${a.providerId}, ${a.contractRef}, ${a.contractKey},
      ${a.contractAmountFen}, ${a.note}, ${at.toISOString()}, ${at.toISOString()})
    ON CONFLICT (applicant_id, provider_id, contract_key) WHERE status <> 'rejected' DO NOTHING
    RETURNING *`);
  return rows[0] ?? null;
}

export async function insertAttachments(
  tx: Queryable, applicationId: string, files: { name: string; sizeBytes: number; sha256: string; mediaType: string }[],
): Promise<void> {
  if (files.length === 0) return;
  const values = files.map((f, i) => sql`(${applicationId}::uuid, ${i + 1}, ${f.name}, ${f.sizeBytes}, ${f.sha256}, ${f.mediaType})`);
  await tx.query(sql`INSERT INTO application_attachments (application_id, n, name, size_bytes, sha256, media_type)
    VALUES ${sql.join(values, sql`, `)}`);
}

export async function findApplication(q: Queryable, id: string): Promise<ApplicationRow | null> {
  const rows = await q.query<ApplicationRow>(sql`SELECT * FROM applications WHERE id = ${id}`);
  return rows[0] ?? null;
}

export async function attachmentsOf(q: Queryable, ids: string[]): Promise<AttachmentRow[]> {
  if (ids.length === 0) return [];
  return q.query<AttachmentRow>(sql`SELECT * FROM application_attachments
    WHERE application_id IN (${sql.join(ids.map((i) => sql`${i}::uuid`), sql`, `)}) ORDER BY application_id, n`);
}

/** Moves a pending application to approved; null when it was no longer pending. */
export async function markApproved(
  tx: Queryable, id: string, by: string, grantedFen: number, voucherId: string, at: Date,
): Promise<ApplicationRow | null> {
  const rows = await tx.query<ApplicationRow>(sql`
    UPDATE applications SET status = 'approved', granted_fen = ${grantedFen}, voucher_id = ${voucherId},
      decided_by = ${by}, decided_at = ${at.toISOString()}, updated_at = ${at.toISOString()}
    WHERE id = ${id} AND status = 'pending' RETURNING *`);
  return rows[0] ?? null;
}

export async function markRejected(tx: Queryable, id: string, by: string, reason: string, at: Date): Promise<ApplicationRow | null> {
  const rows = await tx.query<ApplicationRow>(sql`
    UPDATE applications SET status = 'rejected', reject_reason = ${reason},
      decided_by = ${by}, decided_at = ${at.toISOString()}, updated_at = ${at.toISOString()}
    WHERE id = ${id} AND status = 'pending' RETURNING *`);
  return rows[0] ?? null;
}

/** Locks a pending application for the deciding transaction; null when absent or decided. */
export async function lockPending(tx: Queryable, id: string): Promise<ApplicationRow | null> {
  const rows = await tx.query<ApplicationRow>(sql`SELECT * FROM applications WHERE id = ${id} AND status = 'pending' FOR UPDATE`);
  return rows[0] ?? null;
}

export interface ApplicationFilter {
  applicantIds?: string[];
  issuerIds?: string[] | 'all';
  status?: string;
  poolId?: string;
  beforeCreatedAt?: string;
  beforeId?: string;
  limit: number;
}

export async function listApplications(q: Queryable, f: ApplicationFilter): Promise<ApplicationRow[]> {
  const where: SQL[] = [sql`TRUE`];
  const ids = (list: string[]) => sql.join(list.map((i) => sql`${i}::uuid`), sql`, `);
  if (f.applicantIds) {
    if (f.applicantIds.length === 0) return [];
    where.push(sql`applicant_id IN (${ids(f.applicantIds)})`);
  }
  if (f.issuerIds && f.issuerIds !== 'all') {
    if (f.issuerIds.length === 0) return [];
    where.push(sql`issuer_id IN (${ids(f.issuerIds)})`);
  }
  if (f.status) where.push(sql`status = ${f.status}`);
  if (f.poolId) where.push(sql`pool_id = ${f.poolId}`);
  if (f.beforeCreatedAt && f.beforeId) where.push(sql`(created_at, id) < (${f.beforeCreatedAt}::timestamptz, ${f.beforeId}::uuid)`);
  return q.query<ApplicationRow>(sql`SELECT * FROM applications WHERE ${sql.join(where, sql` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit}`);
}

export interface ProviderRow {
  id: string; type: string; status: string; district: string | null; categories: string[];
}

export async function findOrganisation(q: Queryable, id: string): Promise<ProviderRow | null> {
  const rows = await q.query<ProviderRow>(sql`SELECT id, type, status, district, categories FROM organisations WHERE id = ${id}`);
  return rows[0] ?? null;
}
