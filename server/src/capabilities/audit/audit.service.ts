/**
 * Owns the audit log: append-only and hash-chained, hash = sha256(prev_hash ‖ canonical entry).
 * Entries are written inside the transaction of the change they record.
 */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../../platform/db';
import type { Clock } from '../../platform/clock';
import * as repo from './audit.repository';
import type { AuditRow } from './audit.repository';

export const GENESIS_HASH = '0'.repeat(64);
const VERIFY_PAGE = 1000;

export interface AuditEvent {
  actorUserId: string | null;
  actorOrgId?: string | null;
  /** the organisation whose auditors may see the entry */
  orgId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  summary?: Record<string, unknown>;
}

/** JSON with keys sorted at every depth: the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k])).join(',') + '}';
  }
  return JSON.stringify(value ?? null);
}

function entryHash(prevHash: string, row: Omit<AuditRow, 'id' | 'hash' | 'prev_hash'>): string {
  const canonical = canonicalJson({
    at: new Date(row.at).toISOString(),
    actorUserId: row.actor_user_id,
    actorOrgId: row.actor_org_id,
    orgId: row.org_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    summary: row.summary,
  });
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBrokenId: number | null;
}

export interface AuditEntryView {
  id: number;
  at: string;
  actorUserId: string | null;
  actorOrgId: string | null;
  orgId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  summary: Record<string, unknown>;
  hash: string;
}

export class AuditService {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  async record(tx: Queryable, event: AuditEvent): Promise<void> {
    await repo.lockChain(tx);
    const prevHash = (await repo.lastHash(tx)) ?? GENESIS_HASH;
    const row = {
      at: this.clock.now().toISOString(),
      actor_user_id: event.actorUserId,
      actor_org_id: event.actorOrgId ?? null,
      org_id: event.orgId,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId,
      summary: event.summary ?? {},
    };
    await repo.insertEntry(tx, { ...row, prev_hash: prevHash, hash: entryHash(prevHash, row) });
  }

  /** Recomputes the whole chain in pages; reports the first entry that does not match. */
  async verify(): Promise<VerifyResult> {
    let prevHash = GENESIS_HASH;
    let afterId = 0;
    let checked = 0;
    for (;;) {
      const rows = await repo.pageAfter(this.db, afterId, VERIFY_PAGE);
      for (const row of rows) {
        if (row.prev_hash !== prevHash || entryHash(prevHash, row) !== row.hash) {
          return { ok: false, checked, firstBrokenId: row.id };
        }
        prevHash = row.hash;
        checked++;
      }
      if (rows.length < VERIFY_PAGE) return { ok: true, checked, firstBrokenId: null };
      afterId = (rows[rows.length - 1] as AuditRow).id;
    }
  }

  async list(orgIds: string[] | 'all', cursor: string | undefined, limit: number): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    if (orgIds !== 'all' && orgIds.length === 0) return { items: [], nextCursor: null };
    const beforeId = cursor ? Number(cursor) : null;
    const rows = await repo.listForOrgs(this.db, orgIds, Number.isSafeInteger(beforeId) ? beforeId : null, limit);
    const items = rows.map((r) => ({
      id: r.id,
      at: r.at,
      actorUserId: r.actor_user_id,
      actorOrgId: r.actor_org_id,
      orgId: r.org_id,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      summary: r.summary,
      hash: r.hash,
    }));
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? String(last.id) : null };
  }
}
