/**
 * Owns voucher pools: drafting from presets, four-eyes approval, the lifecycle, budget
 * change requests, merchant registry and enrolment, and eligibility.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  PRESETS, evaluateEligibility, type BudgetChange, type EligibilityResult, type EligibilitySubject, type Pool, type PoolKind, type PoolStatus,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import { sql, type Db, type Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ledger } from '../ledger';
import * as repo from './pools.repository';
import type { PoolColumns, PoolRow } from './pools.repository';
import { openRound } from './rounds';

export const ISSUER_READ_ROLES = ['issuer_manager', 'issuer_approver', 'issuer_auditor'] as const;
const PUBLIC_STATUSES: PoolStatus[] = ['scheduled', 'open', 'paused', 'closed'];

export interface Holder {
  kind: 'enterprise' | 'consumer';
  id: string;
}

/** The holder an actor acts as for a pool's audience, or null when it cannot hold such vouchers. */
export function holderFor(actor: Actor, audience: 'enterprise' | 'consumer'): Holder | null {
  if (audience === 'consumer') return actor.memberships.some((m) => m.role === 'consumer') ? { kind: 'consumer', id: actor.userId } : null;
  const org = orgsWithRole(actor, ['enterprise'])[0];
  return org ? { kind: 'enterprise', id: org } : null;
}

export function toPool(r: PoolRow, sums?: { reserved_fen: number; spent_fen: number }): Pool {
  return {
    id: r.id, issuerId: r.issuer_id, kind: r.kind, audience: r.audience, nameZh: r.name_zh, nameEn: r.name_en,
    description: r.description, policyRef: r.policy_ref, budgetFen: r.budget_fen, availableFen: r.available_fen,
    reservedFen: sums?.reserved_fen ?? 0, spentFen: sums?.spent_fen ?? 0,
    valueRule: {
      type: r.value_type, amountFen: r.amount_fen,
      ...(r.value_type === 'fixed' ? { minSpendFen: r.min_spend_fen } : {}),
      ...(r.ratio_bp !== null ? { ratioBp: r.ratio_bp } : {}),
    },
    distribution: r.distribution, claimOpensAt: r.claim_opens_at, claimClosesAt: r.claim_closes_at,
    validDays: r.valid_days, validUntil: r.valid_until, perHolderMax: r.per_holder_max,
    perHolderDailyMax: r.per_holder_daily_max, annualCapFen: r.annual_cap_fen, eligibility: r.eligibility,
    merchantScope: r.merchant_scope, bannedCategories: r.banned_categories, redemptionMode: r.redemption_mode,
    reissueUnused: r.reissue_unused, rounds: r.rounds, funders: r.funders, ticketStubRequired: r.ticket_stub_required,
    confirmMode: r.confirm_mode, reversalWindowMinutes: r.reversal_window_minutes, lotterySeedHash: r.lottery_seed_hash,
    status: r.status, createdBy: r.created_by, submittedBy: r.submitted_by, approvedBy: r.approved_by,
    rejectReason: r.reject_reason, version: r.version, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

type PoolInput = Record<string, unknown> & { kind?: PoolKind };

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v === undefined || v === null ? null : String(v));

/** Maps request fields onto columns; only the fields present in `input`. */
function columnsOf(input: PoolInput): Partial<PoolColumns> {
  const c: Partial<PoolColumns> = {};
  const vr = input.valueRule as { type: string; amountFen: number; minSpendFen?: number; ratioBp?: number } | undefined;
  if (vr) {
    c.value_type = vr.type; c.amount_fen = vr.amountFen; c.min_spend_fen = vr.minSpendFen ?? 0; c.ratio_bp = vr.ratioBp ?? null;
  }
  const map: [string, keyof PoolColumns, ((v: unknown) => unknown)?][] = [
    ['nameZh', 'name_zh'], ['nameEn', 'name_en'], ['description', 'description'], ['policyRef', 'policy_ref'],
    ['budgetFen', 'budget_fen'], ['distribution', 'distribution'], ['claimOpensAt', 'claim_opens_at', iso],
    ['claimClosesAt', 'claim_closes_at', iso], ['perHolderMax', 'per_holder_max'], ['perHolderDailyMax', 'per_holder_daily_max'],
    ['annualCapFen', 'annual_cap_fen'], ['eligibility', 'eligibility'], ['merchantScope', 'merchant_scope'],
    ['bannedCategories', 'banned_categories'], ['redemptionMode', 'redemption_mode'], ['reissueUnused', 'reissue_unused'],
    ['rounds', 'rounds'], ['funders', 'funders'], ['ticketStubRequired', 'ticket_stub_required'],
    ['confirmMode', 'confirm_mode'], ['reversalWindowMinutes', 'reversal_window_minutes'],
  ];
  for (const [field, column, convert] of map) {
    if (input[field] !== undefined) (c as Record<string, unknown>)[column] = convert ? convert(input[field]) : input[field];
  }
  if (input.validDays !== undefined) { c.valid_days = input.validDays as number; c.valid_until = null; }
  if (input.validUntil !== undefined) { c.valid_until = iso(input.validUntil); c.valid_days = null; }
  return c;
}

/** The preset's defaults as columns; the manager's input overrides them. */
function presetColumns(kind: PoolKind): PoolColumns {
  const p = PRESETS[kind];
  return {
    kind, audience: p.audience, name_zh: p.nameZh, name_en: p.nameEn, description: null, policy_ref: p.policyRef,
    budget_fen: 0, value_type: p.valueRule.type, amount_fen: p.valueRule.amountFen, min_spend_fen: p.valueRule.minSpendFen ?? 0,
    ratio_bp: p.valueRule.ratioBp ?? null, distribution: p.distribution, claim_opens_at: '', claim_closes_at: '',
    valid_days: p.validDays, valid_until: null, per_holder_max: p.perHolderMax, per_holder_daily_max: null,
    annual_cap_fen: p.annualCapFen ?? null, eligibility: {}, merchant_scope: { categories: p.merchantCategories },
    banned_categories: p.bannedCategories, redemption_mode: p.redemptionMode, reissue_unused: p.reissueUnused,
    rounds: [], funders: [], ticket_stub_required: false, confirm_mode: 'immediate', reversal_window_minutes: null,
  };
}

/** Cross-field rules the schema cannot express. */
function checkConsistency(c: PoolColumns): void {
  const funders = c.funders as { shareBp: number }[];
  if (funders.length > 0 && funders.reduce((s, f) => s + f.shareBp, 0) !== 10_000) throw new HttpProblem('FUNDERS_INVALID');
  const errors: string[] = [];
  if (c.kind === 'consumption' && c.audience !== 'consumer') errors.push('consumption pools are for consumers');
  if (c.value_type === 'ratio' && c.ratio_bp === null) errors.push('a ratio rule needs ratioBp');
  if (c.value_type !== 'fixed' && c.min_spend_fen !== 0) errors.push('minSpendFen applies to fixed rules only');
  if (c.amount_fen > c.budget_fen) errors.push('one voucher is worth more than the whole budget');
  if (new Date(c.claim_closes_at) <= new Date(c.claim_opens_at)) errors.push('claimClosesAt must be after claimOpensAt');
  if (c.valid_until && new Date(c.valid_until) <= new Date(c.claim_opens_at)) errors.push('validUntil must be after claimOpensAt');
  if (c.distribution === 'lottery' && c.value_type === 'ratio' && c.audience === 'consumer') errors.push('consumer lotteries issue fixed or balance vouchers');
  if (errors.length > 0) {
    throw new HttpProblem('POOL_CONFIG_INVALID', errors.join('; '), {
      errors: errors.map((m) => ({ field: 'body', message: m, type: 'pool.inconsistent' })),
    });
  }
}

export class PoolsService {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService) {}

  private issuerOf(actor: Actor, roles: readonly ('issuer_manager' | 'issuer_approver' | 'issuer_auditor')[]): string {
    const org = orgsWithRole(actor, roles)[0];
    if (!org) throw new HttpProblem('FORBIDDEN');
    return org;
  }

  /** Loads a pool the actor may see; anything else is 404, never 403, so existence does not leak. */
  async visiblePool(actor: Actor, id: string, q: Queryable = this.db): Promise<PoolRow> {
    const row = await repo.findPool(q, id);
    if (!row || !this.canSee(actor, row)) throw new HttpProblem('NOT_FOUND', 'No such pool');
    return row;
  }

  /** Whether the actor may see this pool row (the claim batcher checks its cached rows with it). */
  canSee(actor: Actor, row: PoolRow): boolean {
    if (hasRole(actor, ['platform_admin'])) return true;
    const issuerRoles = orgsWithRole(actor, ISSUER_READ_ROLES);
    if (issuerRoles.includes(row.issuer_id)) return true;
    if (issuerRoles.length > 0) return false; // an issuer never sees another issuer's pools
    return PUBLIC_STATUSES.includes(row.status);
  }

  private async withSums(rows: PoolRow[]): Promise<Pool[]> {
    const sums = await ledger.poolSums(this.db, rows.map((r) => r.id));
    const byPool = new Map(sums.map((s) => [s.pool_id, s]));
    const names = await repo.displayNames(this.db, rows.flatMap((r) => [r.created_by, r.submitted_by, r.approved_by].filter((x): x is string => !!x)));
    // Object.assign onto the fresh view, not `{ ...toPool(r), names }`: that literal costs ~7 µs
    // a row on Node 20, and this renders every page of the pool list (docs/ARCHITECTURE.md)
    return rows.map((r) => Object.assign(toPool(r, byPool.get(r.id)), {
      createdByName: names.get(r.created_by) ?? null,
      submittedByName: r.submitted_by ? names.get(r.submitted_by) ?? null : null,
      approvedByName: r.approved_by ? names.get(r.approved_by) ?? null : null,
    }));
  }

  async get(actor: Actor, id: string): Promise<Pool> {
    const [pool] = await this.withSums([await this.visiblePool(actor, id)]);
    return pool as Pool;
  }

  /**
   * A page of pools. With `available`, only those the caller could get now (holder view): taking
   * claims, entries or applications at this moment (status, window, an open round), not sold out,
   * not auto-granted, and the caller eligible; the filter runs on the page, so a page may hold
   * fewer than `limit` and `nextCursor` still leads on.
   */
  async list(actor: Actor, q: { limit: number; cursor?: string; status?: PoolStatus; kind?: string; available?: boolean }): Promise<{ items: Pool[]; nextCursor: string | null }> {
    const [beforeCreatedAt, beforeId] = q.cursor ? decodeCursor(q.cursor) : [undefined, undefined];
    const issuerIds = hasRole(actor, ['platform_admin']) ? 'all' : orgsWithRole(actor, ISSUER_READ_ROLES);
    const isIssuerSide = issuerIds === 'all' || issuerIds.length > 0;
    const audience = hasRole(actor, ['enterprise']) ? 'enterprise' : hasRole(actor, ['consumer']) ? 'consumer' : undefined;
    const filter: repo.PoolFilter = {
      issuerIds: isIssuerSide ? issuerIds : 'all',
      ...(isIssuerSide ? (q.status ? { statuses: [q.status] } : {}) : { statuses: q.status && PUBLIC_STATUSES.includes(q.status) ? [q.status] : PUBLIC_STATUSES }),
      ...(!isIssuerSide && audience ? { audience } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(beforeCreatedAt && beforeId ? { beforeCreatedAt, beforeId } : {}),
      limit: q.limit,
    };
    const rows = await repo.listPools(this.db, filter);
    const last = rows[rows.length - 1];
    const kept = q.available ? await this.availableNow(actor, rows) : rows;
    return { items: await this.withSums(kept), nextCursor: rows.length === q.limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** The pools of a page the actor could get now (see `list`); eligibility is evaluated as `GET /pools/:id/eligibility` does. */
  private async availableNow(actor: Actor, rows: PoolRow[]): Promise<PoolRow[]> {
    const now = this.clock.now();
    const kept: PoolRow[] = [];
    for (const p of rows) {
      const taking = p.distribution !== 'auto_grant' && openRound(p, now) !== null
        && now >= new Date(p.claim_opens_at) && now < new Date(p.claim_closes_at)
        && (!p.valid_until || now < new Date(p.valid_until)) && p.funded && p.available_fen >= p.amount_fen;
      if (!taking) continue;
      const holder = holderFor(actor, p.audience);
      if (holder && (await this.eligibilityOf(this.db, p, holder)).eligible) kept.push(p);
    }
    return kept;
  }

  async create(actor: Actor, input: PoolInput & { kind: PoolKind }): Promise<Pool> {
    const issuerId = this.issuerOf(actor, ['issuer_manager']);
    const cols: PoolColumns = { ...presetColumns(input.kind), ...columnsOf(input) };
    checkConsistency(cols);
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const created = await repo.insertPool(tx, issuerId, actor.userId, cols, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: issuerId, orgId: issuerId, action: 'pool.created', targetType: 'pool',
        targetId: created.id, summary: { kind: cols.kind, nameZh: cols.name_zh, budgetFen: cols.budget_fen, distribution: cols.distribution },
      });
      return created;
    });
    return toPool(row);
  }

  async update(actor: Actor, id: string, input: PoolInput & { version: number }): Promise<Pool> {
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const current = await this.visiblePool(actor, id, tx);
      if (!orgsWithRole(actor, ['issuer_manager']).includes(current.issuer_id)) throw new HttpProblem('FORBIDDEN');
      if (!['draft', 'rejected'].includes(current.status)) throw new HttpProblem('POOL_NOT_EDITABLE');
      const { version, ...fields } = input;
      const changes = columnsOf(fields);
      checkConsistency({ ...(current as unknown as PoolColumns), ...changes });
      const updated = await repo.updateEditable(tx, id, version, changes, now);
      if (!updated) throw new HttpProblem('VERSION_CONFLICT');
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: current.issuer_id, orgId: current.issuer_id, action: 'pool.updated',
        targetType: 'pool', targetId: id, summary: { fields: Object.keys(fields), version: updated.version },
      });
      return updated;
    });
    return toPool(row);
  }

  /** One lifecycle step: who may take it, from which states, to which, and what else happens. */
  private async step(
    actor: Actor, id: string, roles: ('issuer_manager' | 'issuer_approver')[], action: string,
    move: (tx: Queryable, pool: PoolRow, now: Date) => Promise<PoolRow | null>, summary: Record<string, unknown> = {},
  ): Promise<Pool> {
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const pool = await this.visiblePool(actor, id, tx);
      if (!orgsWithRole(actor, roles).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
      const moved = await move(tx, pool, now);
      if (!moved) throw new HttpProblem('POOL_STATE_CONFLICT', `The pool is ${pool.status}`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action, targetType: 'pool',
        targetId: id, summary: { from: pool.status, to: moved.status, ...summary },
      });
      return moved;
    });
    const [pool] = await this.withSums([row]);
    return pool as Pool;
  }

  submit(actor: Actor, id: string): Promise<Pool> {
    return this.step(actor, id, ['issuer_manager'], 'pool.submitted', (tx, _p, now) =>
      repo.transition(tx, id, ['draft'], 'pending_approval', now, sql`, submitted_by = ${actor.userId}`));
  }

  approve(actor: Actor, id: string): Promise<Pool> {
    return this.step(actor, id, ['issuer_approver'], 'pool.approved', async (tx, pool, now) => {
      if (pool.submitted_by === actor.userId) throw new HttpProblem('FOUR_EYES_REQUIRED');
      const to: PoolStatus = new Date(pool.claim_opens_at) <= now ? 'open' : 'scheduled';
      const seed = pool.distribution === 'lottery' ? randomBytes(32).toString('hex') : null;
      const seedHash = seed ? createHash('sha256').update(seed).digest('hex') : null;
      const moved = await repo.transition(tx, id, ['pending_approval'], to, now,
        sql`, approved_by = ${actor.userId}, lottery_seed = ${seed}, lottery_seed_hash = ${seedHash}`);
      if (moved) await ledger.fundPool(tx, id, now);
      return moved ? { ...moved, available_fen: moved.budget_fen, funded: true } : null;
    });
  }

  reject(actor: Actor, id: string, reason: string): Promise<Pool> {
    return this.step(actor, id, ['issuer_approver'], 'pool.rejected', async (tx, pool, now) => {
      if (pool.submitted_by === actor.userId) throw new HttpProblem('FOUR_EYES_REQUIRED');
      return repo.transition(tx, id, ['pending_approval'], 'rejected', now, sql`, reject_reason = ${reason}`);
    }, { reason });
  }

  pause(actor: Actor, id: string): Promise<Pool> {
    return this.step(actor, id, ['issuer_manager', 'issuer_approver'], 'pool.paused', (tx, _p, now) =>
      repo.transition(tx, id, ['scheduled', 'open'], 'paused', now));
  }

  resume(actor: Actor, id: string): Promise<Pool> {
    return this.step(actor, id, ['issuer_manager', 'issuer_approver'], 'pool.resumed', (tx, pool, now) =>
      repo.transition(tx, id, ['paused'], new Date(pool.claim_opens_at) <= now ? 'open' : 'scheduled', now));
  }

  close(actor: Actor, id: string): Promise<Pool> {
    return this.step(actor, id, ['issuer_manager', 'issuer_approver'], 'pool.closed', (tx, _p, now) =>
      repo.transition(tx, id, ['scheduled', 'open', 'paused'], 'closed', now));
  }

  /** Job step: scheduled pools whose window opened become open; open pools whose window closed become closed. */
  async applySchedule(): Promise<{ opened: number; closed: number }> {
    const now = this.clock.now().toISOString();
    return this.db.transaction(async (tx) => {
      const opened = await tx.query(sql`UPDATE pools SET status = 'open', updated_at = ${now}
        WHERE status = 'scheduled' AND claim_opens_at <= ${now} RETURNING id`);
      const closed = await tx.query(sql`UPDATE pools SET status = 'closed', updated_at = ${now}
        WHERE status = 'open' AND claim_closes_at <= ${now} AND distribution <> 'application' RETURNING id`);
      return { opened: opened.length, closed: closed.length };
    });
  }

  async requestBudgetChange(actor: Actor, id: string, deltaFen: number, reason: string): Promise<BudgetChange> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const pool = await this.visiblePool(actor, id, tx);
      if (!orgsWithRole(actor, ['issuer_manager']).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
      if (!pool.funded) throw new HttpProblem('POOL_STATE_CONFLICT', 'Edit the budget of an unapproved pool directly');
      const change = await repo.insertBudgetChange(tx, id, deltaFen, reason, actor.userId, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'pool.budget_change_requested',
        targetType: 'budget_change', targetId: change.id, summary: { poolId: id, deltaFen, reason },
      });
      return this.budgetChangeView(tx, change.id);
    });
  }

  async decideBudgetChange(actor: Actor, changeId: string, approve: boolean): Promise<BudgetChange> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const change = await repo.lockBudgetChange(tx, changeId);
      const pool = change ? await repo.findPool(tx, change.pool_id) : null;
      if (!change || !pool || !orgsWithRole(actor, ISSUER_READ_ROLES).includes(pool.issuer_id)) {
        throw new HttpProblem('NOT_FOUND', 'No such budget change');
      }
      if (!orgsWithRole(actor, ['issuer_approver']).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
      if (change.requested_by === actor.userId) throw new HttpProblem('FOUR_EYES_REQUIRED');
      if (change.status !== 'pending') throw new HttpProblem('BUDGET_CHANGE_DECIDED');
      if (approve && !(await ledger.changeBudget(tx, pool.id, change.delta_fen, change.id, now))) {
        throw new HttpProblem('BUDGET_DECREASE_TOO_LARGE', `Available is ¥${(pool.available_fen / 100).toFixed(2)}`);
      }
      await repo.decideBudgetChange(tx, changeId, approve ? 'approved' : 'rejected', actor.userId, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id,
        action: approve ? 'pool.budget_change_approved' : 'pool.budget_change_rejected', targetType: 'budget_change',
        targetId: changeId, summary: { poolId: pool.id, deltaFen: change.delta_fen },
      });
      return this.budgetChangeView(tx, changeId);
    });
  }

  async listBudgetChanges(actor: Actor, status: string | null, limit: number): Promise<BudgetChange[]> {
    const scope = hasRole(actor, ['platform_admin']) ? 'all' : orgsWithRole(actor, ISSUER_READ_ROLES);
    return this.budgetChangeViews(this.db, scope, status, limit);
  }

  private async budgetChangeView(q: Queryable, id: string): Promise<BudgetChange> {
    const [view] = await this.budgetChangeViews(q, 'all', null, 1, id);
    return view as BudgetChange;
  }

  private async budgetChangeViews(q: Queryable, scope: string[] | 'all', status: string | null, limit: number, id?: string): Promise<BudgetChange[]> {
    const rows = await repo.listBudgetChangesWithPool(q, scope, status, limit, id);
    return rows.map((r) => ({
      id: r.id, poolId: r.pool_id, poolNameZh: r.pool_name_zh, poolNameEn: r.pool_name_en, issuerId: r.issuer_id,
      deltaFen: r.delta_fen, reason: r.reason, status: r.status as BudgetChange['status'], requestedBy: r.requested_by,
      requestedByName: r.requested_by_name, decidedBy: r.decided_by, decidedByName: r.decided_by_name,
      decidedAt: r.decided_at, createdAt: r.created_at,
    }));
  }

  /** The eligibility subject of a holder, as the shared rule evaluator sees it. */
  async subjectOf(q: Queryable, poolId: string, holder: Holder): Promise<EligibilitySubject> {
    if (holder.kind === 'enterprise') {
      const s = await repo.enterpriseSubject(q, holder.id);
      return {
        kind: 'enterprise', district: s?.district ?? null, foundedOn: s?.founded_on ?? null, headcount: s?.headcount ?? null,
        tags: s?.tags ?? [], industryCodes: s?.industry_codes ?? [],
        onList: s?.uscc ? await repo.onEligibleList(q, poolId, [s.uscc]) : false,
      };
    }
    const c = await repo.consumerSubject(q, holder.id);
    return {
      kind: 'consumer', realNameVerified: c?.real_name ?? false, residenceDistrict: c?.residence_district ?? null,
      onList: c?.phone ? await repo.onEligibleList(q, poolId, [c.phone]) : false,
    };
  }

  async eligibilityOf(q: Queryable, pool: PoolRow, holder: Holder | null): Promise<EligibilityResult> {
    const subject: EligibilitySubject = holder ? await this.subjectOf(q, pool.id, holder) : { kind: pool.audience === 'enterprise' ? 'consumer' : 'enterprise' };
    return evaluateEligibility(pool.eligibility, subject, pool.audience, this.clock.now());
  }

  /**
   * The eligibility of many holders at once (a claim batch): one query per subject table and
   * none at all when the pool has no rules, with the same verdicts as `eligibilityOf`.
   */
  async eligibilityMany(q: Queryable, pool: PoolRow, holders: Holder[]): Promise<Map<string, EligibilityResult>> {
    const now = this.clock.now();
    const rules = pool.eligibility ?? {};
    const subjects = Object.keys(rules).length === 0 ? new Map<string, EligibilitySubject>() : await this.subjectsOf(q, pool.id, holders, !!rules.listOnly);
    const out = new Map<string, EligibilityResult>();
    for (const h of holders) out.set(h.id, evaluateEligibility(rules, subjects.get(h.id) ?? { kind: h.kind }, pool.audience, now));
    return out;
  }

  private async subjectsOf(q: Queryable, poolId: string, holders: Holder[], listOnly: boolean): Promise<Map<string, EligibilitySubject>> {
    const out = new Map<string, EligibilitySubject>();
    const enterprises = holders.filter((h) => h.kind === 'enterprise').map((h) => h.id);
    const consumers = holders.filter((h) => h.kind === 'consumer').map((h) => h.id);
    const ents = enterprises.length > 0 ? await repo.enterpriseSubjects(q, enterprises) : [];
    const cons = consumers.length > 0 ? await repo.consumerSubjects(q, consumers) : [];
    const identifiers = listOnly ? [...ents.map((e) => e.uscc), ...cons.map((c) => c.phone)].filter((i): i is string => !!i) : [];
    const listed = identifiers.length > 0 ? await repo.onEligibleListMany(q, poolId, identifiers) : new Set<string>();
    for (const s of ents) {
      out.set(s.id, {
        kind: 'enterprise', district: s.district, foundedOn: s.founded_on, headcount: s.headcount, tags: s.tags ?? [],
        industryCodes: s.industry_codes ?? [], onList: !!s.uscc && listed.has(s.uscc),
      });
    }
    for (const c of cons) {
      out.set(c.id, { kind: 'consumer', realNameVerified: c.real_name, residenceDistrict: c.residence_district, onList: !!c.phone && listed.has(c.phone) });
    }
    for (const h of holders) {
      if (out.has(h.id)) continue;
      out.set(h.id, h.kind === 'enterprise'
        ? { kind: 'enterprise', district: null, foundedOn: null, headcount: null, tags: [], industryCodes: [], onList: false }
        : { kind: 'consumer', realNameVerified: false, residenceDistrict: null, onList: false });
    }
    return out;
  }

  async eligibility(actor: Actor, id: string): Promise<EligibilityResult> {
    const pool = await this.visiblePool(actor, id);
    return this.eligibilityOf(this.db, pool, holderFor(actor, pool.audience));
  }

  // ---- merchants ----

  async listMerchants(actor: Actor, q: { limit: number; cursor?: string; status?: string; category?: string; district?: string }) {
    const status = hasRole(actor, ['platform_admin']) ? q.status : 'active';
    const rows = await repo.listMerchants(this.db, {
      limit: q.limit, ...(status ? { status } : {}), ...(q.category ? { category: q.category } : {}),
      ...(q.district ? { district: q.district } : {}), ...(q.cursor ? { afterId: idCursor(q.cursor) } : {}),
    });
    const last = rows[rows.length - 1];
    return { items: rows.map(toMerchant), nextCursor: rows.length === q.limit && last ? last.id : null };
  }

  async decideMerchant(actor: Actor, merchantId: string, approve: boolean) {
    return this.db.transaction(async (tx) => {
      const row = await repo.setMerchantStatus(tx, merchantId, approve ? ['pending', 'rejected', 'suspended'] : ['pending'], approve ? 'active' : 'rejected');
      if (!row) throw new HttpProblem('NOT_FOUND', 'No such merchant awaiting a decision');
      await this.audit.record(tx, {
        actorUserId: actor.userId, orgId: merchantId, action: approve ? 'merchant.approved' : 'merchant.rejected',
        targetType: 'organisation', targetId: merchantId, summary: { uscc: row.uscc },
      });
      return toMerchant(row);
    });
  }

  async enrolMerchants(actor: Actor, poolId: string, merchantIds: string[]): Promise<{ enrolled: number }> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const pool = await this.visiblePool(actor, poolId, tx);
      if (!orgsWithRole(actor, ['issuer_manager']).includes(pool.issuer_id)) throw new HttpProblem('FORBIDDEN');
      const active = await repo.activeMerchants(tx, merchantIds);
      const inactive = merchantIds.filter((m) => !active.includes(m));
      if (inactive.length > 0) {
        throw new HttpProblem('MERCHANT_NOT_ACTIVE', `${inactive.length} merchant(s) are not approved`, {
          errors: inactive.map((m) => ({ field: 'body.merchantIds', message: `${m} is not an approved merchant`, type: 'merchant.inactive' })),
        });
      }
      const enrolled = await repo.enrol(tx, poolId, merchantIds, actor.userId, now);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: pool.issuer_id, orgId: pool.issuer_id, action: 'pool.merchants_enrolled',
        targetType: 'pool', targetId: poolId, summary: { merchantIds },
      });
      return { enrolled };
    });
  }

  async enrolled(actor: Actor, poolId: string, cursor: string | undefined, limit: number) {
    await this.visiblePool(actor, poolId);
    const rows = await repo.enrolledMerchants(this.db, poolId, cursor === undefined ? undefined : idCursor(cursor), limit);
    const last = rows[rows.length - 1];
    return { items: rows.map(toMerchant), nextCursor: rows.length === limit && last ? last.id : null };
  }
}

function toMerchant(r: repo.MerchantRow) {
  return { id: r.id, nameZh: r.name_zh, nameEn: r.name_en, uscc: r.uscc, district: r.district, status: r.status, categories: r.categories };
}

/** A cursor that is a row id: anything but a uuid is a bad request, never a SQL cast error (found by test/security/fuzz). */
function idCursor(cursor: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(cursor)) {
    throw new HttpProblem('VALIDATION_FAILED', 'Bad cursor', { errors: [{ field: 'query.cursor', message: 'cursor is not valid', type: 'any.invalid' }] });
  }
  return cursor;
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): [string | undefined, string | undefined] {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const validId = id && /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
  const validAt = createdAt && !Number.isNaN(Date.parse(createdAt)) ? createdAt : undefined;
  if (!validId || !validAt) throw new HttpProblem('VALIDATION_FAILED', 'Bad cursor', { errors: [{ field: 'query.cursor', message: 'cursor is not valid', type: 'any.invalid' }] });
  return [validAt, validId];
}
