/**
 * Owns ticket stubs (票根经济, measure 18): a pool that requires one admits a claim only with an
 * unused stub code. Codes are imported from a CSV (only their sha256 is stored) or signed by
 * a partner as `<payload>.<tag>` with the pool's partner key. A stub is consumed inside the
 * claim's transaction by one conditional INSERT into a table keyed by (pool, code hash), so
 * it is used once whatever the concurrency, and a refused claim (rolled back) un-uses it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Joi from 'joi';
import {
  SIGNED_STUB_PATTERN, TICKET_STUB_CODE_LENGTH_MAX, TICKET_STUB_FILE_BYTES_MAX, TICKET_STUB_ROWS_MAX, toHalfWidth,
  type PartnerKeySet, type TicketStubImport, type TicketStubSummary,
} from '@hqt/shared';
import type { Request, Response } from 'express';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import { check } from '../../app/validate';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ISSUER_READ_ROLES, type PoolRow, type PoolsService } from '../pools';
import { readMultipart } from '../applications';
import { readCsv } from '../grants';
import * as repo from './ticket-stubs.repository';

const TAG_BYTES = 16;

export function normaliseStubCode(code: string): string {
  return toHalfWidth(code).trim();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The tag of a partner-signed stub: base64url of the first 16 bytes of HMAC-SHA256(key, payload). */
export function stubTag(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, TAG_BYTES).toString('base64url');
}

function tagMatches(secret: string, payload: string, tag: string): boolean {
  const expected = Buffer.from(stubTag(secret, payload));
  const given = Buffer.from(tag);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Consumes the claim's stub inside the claim's transaction. TICKET_STUB_REQUIRED (400) when
 * none is given; TICKET_STUB_INVALID (409) when it is unknown, forged or already used.
 */
export async function consumeTicketStub(tx: Queryable, pool: PoolRow, holderId: string, code: string | undefined, now: Date): Promise<void> {
  if (!pool.ticket_stub_required) return;
  const normalised = code === undefined ? '' : normaliseStubCode(code);
  if (normalised === '') throw new HttpProblem('TICKET_STUB_REQUIRED');
  const hash = sha256Hex(normalised);
  if (await repo.useImported(tx, pool.id, hash, holderId, now)) return;
  const signed = SIGNED_STUB_PATTERN.exec(normalised);
  const key = signed ? await repo.partnerKey(tx, pool.id) : null;
  if (signed && key && tagMatches(key.secret, signed[1] as string, signed[2] as string)) {
    if (await repo.useSigned(tx, pool.id, hash, holderId, now)) return;
    throw new HttpProblem('TICKET_STUB_INVALID', 'This ticket stub was already used');
  }
  throw new HttpProblem('TICKET_STUB_INVALID', signed && key ? 'The ticket stub signature does not verify' : 'Unknown or already used ticket stub');
}

export class TicketStubsService {
  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService, private readonly pools: PoolsService,
  ) {}

  private async managedStubPool(actor: Actor, poolId: string): Promise<PoolRow> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (!orgsWithRole(actor, ['issuer_manager']).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
    if (!pool.ticket_stub_required) throw new HttpProblem('POOL_CONFIG_INVALID', 'This pool does not require ticket stubs');
    if (['closed', 'rejected'].includes(pool.status)) throw new HttpProblem('POOL_NOT_OPEN', `The pool is ${pool.status}`);
    return pool;
  }

  /** Imports a CSV with a `code` column; codes already present are counted, not refused. */
  async importCsv(actor: Actor, poolId: string, req: Request, res: Response): Promise<TicketStubImport> {
    const pool = await this.managedStubPool(actor, poolId);
    const upload = await readMultipart(req, res, { fileField: 'file', filesMax: 1, fileBytesMax: TICKET_STUB_FILE_BYTES_MAX, fileProblem: 'CSV_INVALID' });
    check('body', Joi.object({}), upload.fields);
    const file = upload.files[0];
    if (!file) throw new HttpProblem('VALIDATION_FAILED', 'Attach the codes as the "file" part', { errors: [{ field: 'body.file', message: 'file is required', type: 'any.required' }] });
    const rows = readCsv(file.bytes, { columns: ['code'], rowsMax: TICKET_STUB_ROWS_MAX })
      .map((r) => ({ line: r.line, code: normaliseStubCode(r.cells.code ?? '') })).filter((r) => r.code !== '');
    const tooLong = rows.filter((r) => r.code.length > TICKET_STUB_CODE_LENGTH_MAX);
    if (tooLong.length > 0) {
      throw new HttpProblem('CSV_INVALID', `Codes are at most ${TICKET_STUB_CODE_LENGTH_MAX} characters (line ${tooLong.slice(0, 10).map((r) => r.line).join(', ')})`);
    }
    const hashes = [...new Set(rows.map((r) => sha256Hex(r.code)))];
    const now = this.clock.now();
    const imported = await this.db.transaction(async (tx) => {
      const n = await repo.insertStubs(tx, pool.id, hashes, actor.userId, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'ticket_stub.imported', targetType: 'pool',
        targetId: pool.id, summary: { fileSha256: createHash('sha256').update(file.bytes).digest('hex'), lines: rows.length, imported: n },
      });
      return n;
    });
    return { imported, alreadyPresent: rows.length - imported, total: rows.length };
  }

  /** Sets (or rotates) the partner key; without one the server generates it and shows it once. */
  async setPartnerKey(actor: Actor, poolId: string, key: string | undefined): Promise<PartnerKeySet> {
    const pool = await this.managedStubPool(actor, poolId);
    const secret = key ?? randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const fingerprint = sha256Hex(secret).slice(0, 16);
    await this.db.transaction(async (tx) => {
      await repo.upsertPartnerKey(tx, pool.id, secret, actor.userId, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'ticket_stub.partner_key_set',
        targetType: 'pool', targetId: pool.id, summary: { fingerprint, generated: key === undefined },
      });
    });
    return { poolId: pool.id, fingerprint, setAt: now.toISOString(), ...(key === undefined ? { key: secret } : {}) };
  }

  async summary(actor: Actor, poolId: string): Promise<TicketStubSummary> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (!hasRole(actor, ['platform_admin']) && !orgsWithRole(actor, ISSUER_READ_ROLES).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
    const [c, key] = [await repo.counts(this.db, pool.id), await repo.partnerKey(this.db, pool.id)];
    return { poolId: pool.id, ...c, partnerKey: key ? { fingerprint: sha256Hex(key.secret).slice(0, 16), setAt: key.set_at } : null };
  }
}
