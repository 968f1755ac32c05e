/**
 * Owns applications (申请 + 审核) for the B2B kinds: an enterprise applies with a contract, the
 * provider that will deliver it and its attachments; an approver of the pool's issuer grants
 * `min(ratio × contract, voucher cap, what is left of the annual cap)` as one voucher bound
 * to that provider, in the same transaction as the decision, or rejects with a reason.
 * Deciding twice answers APPLICATION_DECIDED (409): a decision is never silently replayed.
 */
import { createHash } from 'node:crypto';
import {
  applicationFields, shanghaiYear, toHalfWidth, type Application, type ApplicationInput, type Attachment,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import { check } from '../../app/validate';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { holderFor, isEnrolled, ISSUER_READ_ROLES, type PoolRow, type PoolsService } from '../pools';
import type { VouchersService } from '../vouchers';
// The annual-cap reader is not yet re-exported by ../vouchers; it is a read of the same counter issueOne guards.
import { annualUse } from '../vouchers/vouchers.repository';
import * as repo from './applications.repository';
import type { ApplicationRow, AttachmentRow, ProviderRow } from './applications.repository';
import { checkAttachment, FileStore } from './attachments';
import type { MultipartBody } from './multipart';

const BP_PER_WHOLE = 10_000n;

/** "HT 2025-001" and "ht2025-001" name one contract. */
export function contractKeyOf(contractRef: string): string {
  return toHalfWidth(contractRef).replace(/\s+/g, '').toUpperCase();
}

/** floor(contract × ratio), in BigInt so that no product passes 2^53 on the way. */
export function ratioShareFen(contractAmountFen: number, ratioBp: number): number {
  return Number((BigInt(contractAmountFen) * BigInt(ratioBp)) / BP_PER_WHOLE);
}

export class ApplicationsService {
  readonly files: FileStore;

  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService,
    private readonly pools: PoolsService, private readonly vouchers: VouchersService, dataDir: string,
  ) {
    this.files = new FileStore(dataDir);
  }

  /** An enterprise applies; the files are checked before anything is stored. */
  async submit(actor: Actor, poolId: string, upload: MultipartBody): Promise<Application> {
    const holder = holderFor(actor, 'enterprise');
    if (!holder) throw new HttpProblem('FORBIDDEN', 'Only an enterprise applies');
    const input = check<ApplicationInput>('body', applicationFields, upload.fields);
    const attachments = upload.files.map(checkAttachment);
    const pool = await this.pools.visiblePool(actor, poolId);
    const now = this.clock.now();
    this.vouchers.assertClaimable(pool, 'application', now);
    if (ratioShareFen(input.contractAmountFen, pool.ratio_bp ?? Number(BP_PER_WHOLE)) < 1) {
      throw new HttpProblem('VALIDATION_FAILED', 'The contract amount is too small to earn a voucher', {
        errors: [{ field: 'body.contractAmountFen', message: 'contractAmountFen earns less than 1 fen', type: 'number.min' }],
      });
    }
    await this.checkProvider(actor, pool, holder.id, input.providerId);
    const eligibility = await this.pools.eligibilityOf(this.db, pool, holder);
    if (!eligibility.eligible) {
      throw new HttpProblem('NOT_ELIGIBLE', eligibility.reasons.filter((r) => !r.pass).map((r) => r.en).join('; '));
    }
    for (const file of attachments) await this.files.put(file);
    const row = await this.db.transaction(async (tx) => {
      const inserted = await repo.insertApplication(tx, {
        poolId: pool.id, issuerId: pool.issuer_id, applicantId: holder.id, submittedBy: actor.userId,
        providerId: input.providerId, contractRef: input.contractRef, contractKey: contractKeyOf(input.contractRef),
        contractAmountFen: input.contractAmountFen, note: input.note ? input.note : null,
      }, now);
      if (!inserted) throw new HttpProblem('APPLICATION_DUPLICATE', `Contract ${input.contractRef} with this provider already has an application`);
      await repo.insertAttachments(tx, inserted.id, attachments);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: holder.id, orgId: pool.issuer_id, action: 'application.submitted',
        targetType: 'application', targetId: inserted.id,
        summary: { poolId: pool.id, providerId: input.providerId, contractRef: input.contractRef, contractAmountFen: input.contractAmountFen, attachments: attachments.map((a) => a.sha256) },
      });
      return inserted;
    });
    return this.view(row);
  }

  /** The provider must be an approved merchant other than the applicant, unaffiliated, and in the pool's merchant scope. */
  private async checkProvider(actor: Actor, pool: PoolRow, applicantId: string, providerId: string): Promise<void> {
    if (providerId === applicantId) throw new HttpProblem('PROVIDER_INVALID', 'The applicant cannot be its own provider');
    const provider = await repo.findOrganisation(this.db, providerId);
    if (!provider || provider.type !== 'merchant') throw new HttpProblem('PROVIDER_INVALID', 'The provider is not a registered merchant');
    if (provider.status !== 'active') throw new HttpProblem('PROVIDER_INVALID', 'The provider is not an approved merchant');
    if (orgsWithRole(actor, ['merchant_admin', 'merchant_cashier']).includes(providerId)) {
      throw new HttpProblem('PROVIDER_INVALID', 'The provider is affiliated with the applicant (shared staff)');
    }
    const outOfScope = scopeProblem(pool, provider) ??
      (pool.merchant_scope.enrolledOnly && !(await isEnrolled(this.db, pool.id, providerId)) ? 'it is not enrolled in this pool' : null);
    if (outOfScope) throw new HttpProblem('PROVIDER_INVALID', `The provider cannot redeem this pool's vouchers: ${outOfScope}`);
  }

  /** Grants the voucher; the application's move from pending and the issue share one transaction. */
  async approve(actor: Actor, id: string): Promise<Application> {
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const { application, pool } = await this.lockForDecision(tx, actor, id);
      if (!['scheduled', 'open'].includes(pool.status)) throw new HttpProblem('POOL_NOT_OPEN', `The pool is ${pool.status}`);
      const grantFen = await this.grantFor(tx, pool, application, now);
      const voucher = await this.vouchers.issueOne(tx, pool, {
        holder: { kind: 'enterprise', id: application.applicant_id }, amountFen: grantFen, providerId: application.provider_id,
        source: 'application', sourceRef: application.id,
      }, now);
      const moved = await repo.markApproved(tx, id, actor.userId, grantFen, voucher.id, now);
      if (!moved) throw new Error(`assertion: locked application ${id} left pending`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'application.approved',
        targetType: 'application', targetId: id,
        summary: { poolId: pool.id, grantedFen: grantFen, voucherId: voucher.id, contractAmountFen: application.contract_amount_fen },
      });
      return moved;
    });
    return this.view(row);
  }

  /** min(ratio × contract, the pool's voucher cap, the holder's annual remainder). */
  private async grantFor(tx: Queryable, pool: PoolRow, application: ApplicationRow, now: Date): Promise<number> {
    let grantFen = Math.min(ratioShareFen(application.contract_amount_fen, pool.ratio_bp ?? Number(BP_PER_WHOLE)), pool.amount_fen);
    if (pool.annual_cap_fen !== null) {
      const usedFen = await annualUse(tx, pool.issuer_id, pool.kind, application.applicant_id, shanghaiYear(now));
      const leftFen = pool.annual_cap_fen - usedFen;
      if (leftFen <= 0) throw new HttpProblem('ANNUAL_CAP_REACHED', 'The applicant has used its annual cap for this kind');
      grantFen = Math.min(grantFen, leftFen);
    }
    if (!Number.isSafeInteger(grantFen) || grantFen < 1) throw new Error(`assertion: grant of ${grantFen} fen`);
    return grantFen;
  }

  async reject(actor: Actor, id: string, reason: string): Promise<Application> {
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const { pool } = await this.lockForDecision(tx, actor, id);
      const moved = await repo.markRejected(tx, id, actor.userId, reason, now);
      if (!moved) throw new Error(`assertion: locked application ${id} left pending`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'application.rejected',
        targetType: 'application', targetId: id, summary: { poolId: pool.id, reason },
      });
      return moved;
    });
    return this.view(row);
  }

  /** Who may decide (an approver of the pool's issuer, not of the applicant), and the pending row locked. */
  private async lockForDecision(tx: Queryable, actor: Actor, id: string): Promise<{ application: ApplicationRow; pool: PoolRow }> {
    const seen = await this.visibleApplication(actor, id, tx);
    if (!orgsWithRole(actor, ['issuer_approver']).includes(seen.issuer_id)) throw new HttpProblem('FORBIDDEN');
    if (seen.submitted_by === actor.userId || orgsWithRole(actor, ['enterprise']).includes(seen.applicant_id)) {
      throw new HttpProblem('FOUR_EYES_REQUIRED', 'You cannot decide an application of your own enterprise');
    }
    const application = await repo.lockPending(tx, id);
    if (!application) throw new HttpProblem('APPLICATION_DECIDED', `The application is ${(await repo.findApplication(tx, id))?.status}`);
    const pool = await this.pools.visiblePool(actor, application.pool_id, tx);
    return { application, pool };
  }

  /** The applicant, its issuer and the platform admin see an application; anyone else gets 404. */
  private async visibleApplication(actor: Actor, id: string, q: Queryable = this.db): Promise<ApplicationRow> {
    const row = await repo.findApplication(q, id);
    const visible = row && (hasRole(actor, ['platform_admin']) || orgsWithRole(actor, ISSUER_READ_ROLES).includes(row.issuer_id) ||
      orgsWithRole(actor, ['enterprise']).includes(row.applicant_id));
    if (!row || !visible) throw new HttpProblem('NOT_FOUND', 'No such application');
    return row;
  }

  async get(actor: Actor, id: string): Promise<Application> {
    return this.view(await this.visibleApplication(actor, id));
  }

  async list(actor: Actor, q: { limit: number; cursor?: string; status?: string; poolId?: string }): Promise<{ items: Application[]; nextCursor: string | null }> {
    const [beforeCreatedAt, beforeId] = q.cursor ? Buffer.from(q.cursor, 'base64url').toString().split('|') : [];
    const paging = beforeCreatedAt && beforeId && /^[0-9a-f-]{36}$/.test(beforeId) && !Number.isNaN(Date.parse(beforeCreatedAt))
      ? { beforeCreatedAt, beforeId } : {};
    const issuerScope = hasRole(actor, ['platform_admin']) ? 'all' as const : orgsWithRole(actor, ISSUER_READ_ROLES);
    const scope = issuerScope === 'all' || issuerScope.length > 0 ? { issuerIds: issuerScope } : { applicantIds: orgsWithRole(actor, ['enterprise']) };
    const rows = await repo.listApplications(this.db, {
      ...scope, ...paging, limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.poolId ? { poolId: q.poolId } : {}),
    });
    const attachments = await repo.attachmentsOf(this.db, rows.map((r) => r.id));
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => toApplication(r, attachments.filter((a) => a.application_id === r.id))),
      nextCursor: rows.length === q.limit && last ? Buffer.from(`${last.created_at}|${last.id}`).toString('base64url') : null,
    };
  }

  /** The n-th attachment's bytes, verified against the stored sha256. */
  async attachment(actor: Actor, id: string, n: number): Promise<{ name: string; mediaType: string; bytes: Buffer }> {
    const application = await this.visibleApplication(actor, id);
    const meta = (await repo.attachmentsOf(this.db, [application.id])).find((a) => a.n === n);
    if (!meta) throw new HttpProblem('NOT_FOUND', 'No such attachment');
    const bytes = await this.files.get(meta.sha256);
    if (!bytes) throw new HttpProblem('NOT_FOUND', 'The attachment file is missing from the data directory');
    if (createHash('sha256').update(bytes).digest('hex') !== meta.sha256) throw new Error(`assertion: file ${meta.sha256} does not match its hash`);
    return { name: meta.name, mediaType: meta.media_type, bytes };
  }

  private async view(row: ApplicationRow): Promise<Application> {
    return toApplication(row, await repo.attachmentsOf(this.db, [row.id]));
  }
}

/** Why the provider falls outside the pool's merchant categories, banned categories or districts; null when inside. */
function scopeProblem(pool: PoolRow, provider: ProviderRow): string | null {
  const scope = pool.merchant_scope;
  if (scope.categories?.length && !provider.categories.some((c) => scope.categories!.includes(c))) {
    return `its categories are not among ${scope.categories.join(', ')}`;
  }
  if (provider.categories.some((c) => pool.banned_categories.includes(c))) return 'its category is excluded';
  if (scope.districts?.length && (!provider.district || !scope.districts.includes(provider.district))) {
    return `it is not in ${scope.districts.join(', ')}`;
  }
  return null;
}

function toApplication(r: ApplicationRow, attachments: AttachmentRow[]): Application {
  return {
    id: r.id, poolId: r.pool_id, issuerId: r.issuer_id, applicantId: r.applicant_id, providerId: r.provider_id,
    contractRef: r.contract_ref, contractAmountFen: r.contract_amount_fen, note: r.note, status: r.status,
    grantedFen: r.granted_fen, voucherId: r.voucher_id, decidedBy: r.decided_by, decidedAt: r.decided_at,
    rejectReason: r.reject_reason, createdAt: r.created_at,
    attachments: attachments.map((a): Attachment => ({ n: a.n, name: a.name, sizeBytes: a.size_bytes, sha256: a.sha256, mediaType: a.media_type })),
  };
}
