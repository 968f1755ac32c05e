/**
 * Owns pools' eligibility lists (上传名单): a manager of the pool's issuer replaces the list by
 * uploading a file, and the issuer's staff page through it or check one entry. The list is what
 * the `listOnly` rule reads (pools' eligibility, claims, grants). A replacement is one
 * transaction, so a claim sees the old list or the new one, never a mix; it runs under an
 * Idempotency-Key, so a retried upload answers the first answer.
 */
import { createHash } from 'node:crypto';
import Joi from 'joi';
import {
  ELIGIBLE_LIST_FILE_BYTES_MAX, readListCell, type EligibleListPage, type EligibleListUpload,
} from '@hqt/shared';
import type { Request, Response } from 'express';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import { idempotent, type StoredAnswer } from '../../app/idempotency';
import { check } from '../../app/validate';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ISSUER_READ_ROLES, type PoolRow, type PoolsService } from '../pools';
import { readMultipart, type UploadedFile } from '../applications';
import { readEligibleList, type ParsedList } from './eligible-list-csv';
import * as repo from './eligible-list.repository';

export interface EligibleListQuery {
  limit: number;
  cursor?: string;
  identifier?: string;
}

function noValidRows(list: ParsedList): HttpProblem {
  return new HttpProblem('ELIGIBLE_LIST_NO_VALID_ROWS', `${list.rejected} line(s) refused, none stored (the first are listed)`, {
    errors: list.rows.map((r) => ({ field: `file.line.${r.line}`, message: r.value, type: r.code })),
  });
}

export class EligibleListService {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService, private readonly pools: PoolsService) {}

  /** A pool a manager of its issuer may change the list of; another issuer's pool does not exist (404). */
  private async managedPool(actor: Actor, poolId: string): Promise<PoolRow> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (!orgsWithRole(actor, ['issuer_manager']).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
    return pool;
  }

  private async readablePool(actor: Actor, poolId: string): Promise<PoolRow> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (!hasRole(actor, ['platform_admin']) && !orgsWithRole(actor, ISSUER_READ_ROLES).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
    return pool;
  }

  /** `PUT /pools/:id/eligible-list`: multipart with the list as the `file` part. */
  async replace(actor: Actor, poolId: string, idempotencyKey: string, req: Request, res: Response): Promise<StoredAnswer> {
    const pool = await this.managedPool(actor, poolId);
    const upload = await readMultipart(req, res, { fileField: 'file', filesMax: 1, fileBytesMax: ELIGIBLE_LIST_FILE_BYTES_MAX, fileProblem: 'CSV_INVALID' });
    check('body', Joi.object({}), upload.fields);
    const file = upload.files[0];
    if (!file) throw new HttpProblem('VALIDATION_FAILED', 'Attach the list as the "file" part', { errors: [{ field: 'body.file', message: 'file is required', type: 'any.required' }] });
    const list = await readEligibleList(file.bytes, pool.audience);
    // a file with nothing usable is a wrong file (another audience, another column), not a wish to empty the list
    if (list.identifiers.length === 0 && list.rejected > 0) throw noValidRows(list);
    const fileSha256 = createHash('sha256').update(file.bytes).digest('hex');
    return idempotent(this.db, this.clock, `eligible-list:${pool.id}`, idempotencyKey, { op: 'eligible-list.replace', poolId: pool.id, fileSha256 },
      async (tx) => ({ status: 200, body: await this.store(tx, actor, pool.id, file, fileSha256, list) }));
  }

  private async store(tx: Queryable, actor: Actor, poolId: string, file: UploadedFile, fileSha256: string, list: ParsedList): Promise<EligibleListUpload> {
    const pool = await this.pools.visiblePool(actor, poolId, tx);
    if (pool.status === 'closed') throw new HttpProblem('POOL_STATE_CONFLICT', 'The pool is closed; its eligible list is final');
    const now = this.clock.now();
    const replaced = await repo.replaceList(tx, {
      poolId, rowCount: list.identifiers.length, rejectedCount: list.rejected, fileName: file.name, fileSha256, by: actor.userId, at: now,
    }, list.identifiers);
    const answer: EligibleListUpload = {
      poolId, audience: pool.audience, stored: list.identifiers.length, rejected: list.rejected, duplicates: list.duplicates, replaced,
      header: list.header, rows: list.rows, rowsTruncated: list.rows.length < list.rejected, fileSha256, uploadedAt: now.toISOString(),
    };
    await this.audit.record(tx, {
      actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'pool.eligible_list_replaced', targetType: 'pool',
      targetId: poolId, summary: { fileName: file.name, fileSha256, stored: answer.stored, rejected: answer.rejected, duplicates: answer.duplicates, replaced },
    });
    return answer;
  }

  /** `GET /pools/:id/eligible-list`: a page in identifier order, or with `identifier` whether that one is listed. */
  async page(actor: Actor, poolId: string, q: EligibleListQuery): Promise<EligibleListPage> {
    const pool = await this.readablePool(actor, poolId);
    const upload = await repo.lastUpload(this.db, pool.id);
    const base = {
      poolId: pool.id, audience: pool.audience, total: upload?.row_count ?? 0, uploadedAt: upload?.uploaded_at ?? null,
      uploadedBy: upload?.uploaded_by ?? null, uploadedByName: upload?.uploaded_by_name ?? null, fileSha256: upload?.file_sha256 ?? null,
    };
    if (q.identifier !== undefined) {
      const read = readListCell(pool.audience, q.identifier);
      if (read.code !== undefined) {
        throw new HttpProblem('VALIDATION_FAILED', `Not an identifier of this pool's audience (${read.code})`, {
          errors: [{ field: 'query.identifier', message: `identifier is not valid for a ${pool.audience} pool`, type: read.code }],
        });
      }
      const listed = await repo.isListed(this.db, pool.id, read.identifier);
      return { ...base, items: listed ? [{ identifier: read.identifier }] : [], nextCursor: null };
    }
    const identifiers = await repo.page(this.db, pool.id, q.cursor, q.limit);
    const last = identifiers[identifiers.length - 1];
    return { ...base, items: identifiers.map((identifier) => ({ identifier })), nextCursor: identifiers.length === q.limit && last ? last : null };
  }
}
