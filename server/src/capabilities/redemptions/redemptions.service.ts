/**
 * Owns redemption (核销): preview and redeem by a merchant's cashier, B2B holds that the
 * holder confirms or rejects (or that time out after 72 h), reversals by the same merchant,
 * and the lists each party sees. Money moves only through the ledger, in the same
 * transaction as the redemption row.
 *
 * Checks, in DESIGN.md's order, each with its own code: token valid and fresh → voucher
 * active and within validity (and its dynamic token not used before) → merchant active and
 * in the pool's scope → order ≥ minimum spend → discount → commit.
 */
import { randomUUID } from 'node:crypto';
import {
  computeDiscount, nextShanghaiMidnight, parseToken, type Redemption, type RedemptionPreview, type RedeemRequest,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { timeOrderedId } from '../../platform/ids';
import { HttpProblem } from '../../app/problem';
import { idempotent, type StoredAnswer } from '../../app/idempotency';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ledger } from '../ledger';
import { ISSUER_READ_ROLES } from '../pools';
import type { VouchersService } from '../vouchers';
import { scopeVerdict } from './merchant-scope';
import { RedemptionBatcher, REDEMPTION_BATCHING_OFF, type RedemptionBatchingOptions } from './redemption-batcher';
import * as repo from './redemptions.repository';
import { answerOf, merchantScope, movementOf, newRedemption, requestOf, stepOf, toRedemption, type Evaluation } from './redemption-answers';

export { toRedemption } from './redemption-answers';
import type { RedemptionContext, RedemptionFull } from './redemptions.repository';

export const HOLD_TIMEOUT_MS = 72 * 3_600_000;
export const HOLD_VOID_BATCH_MAX = 500;
const HOLD_VOID_BATCHES_PER_RUN_MAX = 100;
const MERCHANT_ROLES = ['merchant_cashier', 'merchant_admin'] as const;


export function merchantOf(actor: Actor): string {
  const merchantId = orgsWithRole(actor, MERCHANT_ROLES)[0];
  if (!merchantId) throw new HttpProblem('FORBIDDEN');
  return merchantId;
}

function assertVoucherUsable(ctx: RedemptionContext, now: Date): void {
  if (ctx.status === 'expired') throw new HttpProblem('VOUCHER_EXPIRED');
  if (ctx.status !== 'active') throw new HttpProblem('VOUCHER_NOT_ACTIVE', `The voucher is ${ctx.status}`);
  if (now >= new Date(ctx.valid_until)) throw new HttpProblem('VOUCHER_EXPIRED');
  if (now < new Date(ctx.valid_from)) throw new HttpProblem('VOUCHER_NOT_YET_VALID');
  if (ctx.pool_status === 'paused') throw new HttpProblem('POOL_NOT_OPEN', 'The issuer has paused this pool');
}

function assertMerchantInScope(f: repo.RedemptionFacts, merchantId: string): void {
  if (f.merchant_status !== 'active') throw new HttpProblem('MERCHANT_NOT_ACTIVE');
  const verdict = scopeVerdict(
    { merchantScope: f.merchant_scope, bannedCategories: f.banned_categories, providerId: f.provider_id },
    { id: merchantId, categories: f.merchant_categories ?? [], district: f.merchant_district });
  if (verdict === 'CATEGORY_BANNED') throw new HttpProblem('CATEGORY_BANNED');
  if (verdict === 'NOT_ENROLLED') throw new HttpProblem('NOT_ENROLLED', 'This voucher is bound to another provider');
  if (verdict === 'ask_enrolment' && !f.enrolled) throw new HttpProblem('NOT_ENROLLED');
}

export class RedemptionsService {
  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService,
    private readonly vouchers: VouchersService, batching: RedemptionBatchingOptions = REDEMPTION_BATCHING_OFF,
  ) {
    this.batcher = batching.enabled ? new RedemptionBatcher(db, clock, this, batching) : null;
  }

  /** null when REDEMPTION_BATCHING is off: every redemption is then its own transaction */
  readonly batcher: RedemptionBatcher | null;

  /**
   * Runs every check in order; throws the first failure's problem. `lock` holds the voucher
   * row for a commit. One statement reads every fact the checks need (the voucher by the
   * token's code, its pool, the merchant, its enrolment, the token step's use), so a
   * redemption costs one round trip before its writes; the checks then run on that row in
   * DESIGN.md's order.
   */
  private async evaluate(q: Queryable, merchantId: string, body: RedeemRequest, now: Date, lock: boolean): Promise<Evaluation> {
    const parsed = parseToken(body.token);
    if (!parsed) throw new HttpProblem('TOKEN_MALFORMED');
    const facts = await repo.redemptionFacts(q, parsed.code, merchantId, stepOf(parsed), lock);
    return this.check(facts, merchantId, body, now);
  }

  /** The checks on the facts already read (the single path above, or one member of a redemption batch). */
  async check(facts: repo.RedemptionFacts | null, merchantId: string, body: RedeemRequest, now: Date): Promise<Evaluation> {
    const tokenVoucher = facts ? { id: facts.voucher_id, code: facts.code, holderKind: facts.holder_kind } : null;
    const verified = await this.vouchers.qr.verify(body.token, now.getTime(), async () => tokenVoucher, body.voucherId);
    const parsed = parseToken(body.token);
    const ctx = facts as repo.RedemptionFacts;
    if (!parsed || verified.id !== ctx.voucher_id) throw new Error('assertion: a verified token names the voucher read');
    assertVoucherUsable(ctx, now);
    if (ctx.token_used) throw new HttpProblem('TOKEN_REPLAYED');
    assertMerchantInScope(ctx, merchantId);
    const result = computeDiscount(
      { type: ctx.value_type, amountFen: ctx.amount_fen, minSpendFen: ctx.min_spend_fen, ...(ctx.ratio_bp !== null ? { ratioBp: ctx.ratio_bp } : {}) },
      body.orderAmountFen, ctx.balance_fen,
    );
    if (!result.ok) throw new HttpProblem(result.reason);
    return { ctx, tokenStep: stepOf(parsed), ...result };
  }

  /** Runs the checks and computes the discount without committing anything. */
  async preview(actor: Actor, body: RedeemRequest): Promise<RedemptionPreview> {
    const e = await this.evaluate(this.db, merchantOf(actor), body, this.clock.now(), false);
    return {
      voucherId: e.ctx.voucher_id, voucherCode: e.ctx.code, poolId: e.ctx.pool_id, mode: e.ctx.redemption_mode,
      orderAmountFen: body.orderAmountFen, discountFen: e.discountFen, payFen: e.payFen,
      voucherBalanceFen: e.ctx.balance_fen, balanceAfterFen: e.balanceAfterFen,
    };
  }

  /**
   * Redeems (direct) or submits for confirmation (B2B), under the merchant's Idempotency-Key:
   * through the redemption batcher when it is on, else in a transaction of its own.
   */
  redeem(actor: Actor, idempotencyKey: string, body: RedeemRequest): Promise<StoredAnswer> {
    const merchantId = merchantOf(actor);
    if (this.batcher) return this.batcher.redeem(actor, merchantId, idempotencyKey, body);
    return this.redeemSingly(actor, idempotencyKey, body);
  }

  /** One redemption in a transaction of its own: without batching, B2B holds, replays and the members of a failed batch. */
  redeemSingly(actor: Actor, idempotencyKey: string, body: RedeemRequest): Promise<StoredAnswer> {
    const merchantId = merchantOf(actor);
    return idempotent(this.db, this.clock, merchantScope(merchantId), idempotencyKey, requestOf(body), async (tx) => {
      const now = this.clock.now();
      const e = await this.evaluate(tx, merchantId, body, now, true);
      const confirm = e.ctx.redemption_mode === 'confirm';
      if (confirm && (!body.contractRef || !body.invoiceNo)) throw new HttpProblem('B2B_DETAILS_REQUIRED');
      const id = timeOrderedId();
      const move = movementOf(e, id, merchantId, now);
      const after = confirm ? await ledger.hold(tx, move) : await ledger.redeem(tx, move);
      if (!after) throw new Error(`assertion: locked voucher ${e.ctx.voucher_id} refused ${e.discountFen}`);
      const row = await repo.insertRedemption(tx, newRedemption(e, id, actor, merchantId, body, now, after.balanceFen));
      if (!row) throw new HttpProblem('TOKEN_REPLAYED');
      return answerOf(row, e);
    });
  }

  private visibility(actor: Actor): repo.Visibility {
    return {
      all: hasRole(actor, ['platform_admin']),
      merchantIds: orgsWithRole(actor, MERCHANT_ROLES),
      enterpriseIds: orgsWithRole(actor, ['enterprise']),
      consumerId: hasRole(actor, ['consumer']) ? actor.userId : null,
      issuerIds: orgsWithRole(actor, ISSUER_READ_ROLES),
    };
  }

  async list(actor: Actor, q: { limit: number; cursor?: string; status?: string; poolId?: string; voucherId?: string }): Promise<{ items: Redemption[]; nextCursor: string | null }> {
    const [beforeCreatedAt, beforeId] = q.cursor ? Buffer.from(q.cursor, 'base64url').toString().split('|') : [];
    const paging = beforeCreatedAt && beforeId && /^[0-9a-f-]{36}$/.test(beforeId) && !Number.isNaN(Date.parse(beforeCreatedAt))
      ? { beforeCreatedAt, beforeId } : {};
    const rows = await repo.list(this.db, this.visibility(actor), {
      limit: q.limit, ...paging, ...(q.status ? { status: q.status } : {}), ...(q.poolId ? { poolId: q.poolId } : {}),
      ...(q.voucherId ? { voucherId: q.voucherId } : {}),
    });
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toRedemption),
      nextCursor: rows.length === q.limit && last ? Buffer.from(`${last.created_at}|${last.id}`).toString('base64url') : null,
    };
  }

  /** One redemption the actor may see; any other answers 404, so existence does not leak. */
  private async visible(q: Queryable, actor: Actor, id: string, lock = false): Promise<RedemptionFull> {
    const row = await repo.findFull(q, id, lock);
    const v = this.visibility(actor);
    const seen = row && (v.all || v.merchantIds.includes(row.merchant_id) || v.issuerIds.includes(row.issuer_id) ||
      (row.holder_kind === 'enterprise' && v.enterpriseIds.includes(row.holder_id)) ||
      (row.holder_kind === 'consumer' && v.consumerId === row.holder_id));
    if (!row || !seen) throw new HttpProblem('NOT_FOUND', 'No such redemption');
    return row;
  }

  async get(actor: Actor, id: string): Promise<Redemption> {
    return toRedemption(await this.visible(this.db, actor, id));
  }

  private isHolder(actor: Actor, r: RedemptionFull): boolean {
    return r.holder_kind === 'consumer' ? r.holder_id === actor.userId : orgsWithRole(actor, ['enterprise']).includes(r.holder_id);
  }

  /** The holder confirms a pending B2B redemption: hold → spent. Idempotent. */
  confirm(actor: Actor, id: string): Promise<Redemption> {
    return this.decide(actor, id, 'posted', null);
  }

  /** The holder rejects a pending B2B redemption: hold → voucher. Idempotent. */
  reject(actor: Actor, id: string, reason: string | null): Promise<Redemption> {
    return this.decide(actor, id, 'rejected', reason);
  }

  private async decide(actor: Actor, id: string, to: 'posted' | 'rejected', reason: string | null): Promise<Redemption> {
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const r = await this.visible(tx, actor, id, true);
      if (!this.isHolder(actor, r)) throw new HttpProblem('NOT_FOUND', 'No such redemption');
      const done = to === 'posted' ? ['posted', 'reversed'] : ['rejected'];
      if (done.includes(r.status)) return r;
      if (r.status !== 'pending') throw new HttpProblem('REDEMPTION_STATE_CONFLICT', `The redemption is ${r.status}`);
      await this.settleHold(tx, r, to, now, { by: actor.userId, reason });
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: r.holder_kind === 'enterprise' ? r.holder_id : null, orgId: r.issuer_id,
        action: to === 'posted' ? 'redemption.confirmed' : 'redemption.rejected', targetType: 'redemption', targetId: id,
        summary: { voucherId: r.voucher_id, merchantId: r.merchant_id, discountFen: r.discount_fen, ...(reason ? { reason } : {}) },
      });
      return repo.findFull(tx, id);
    });
    return toRedemption(row as RedemptionFull);
  }

  /** Ends a pending hold (the row is locked and pending): posted → spent; rejected or voided → back on the voucher. */
  private async settleHold(
    tx: Queryable, r: RedemptionFull, to: 'posted' | 'rejected' | 'voided', now: Date, decision: { by: string | null; reason: string | null },
  ): Promise<void> {
    const move = {
      poolId: r.pool_id, voucherId: r.voucher_id, merchantId: r.merchant_id, amountFen: r.discount_fen,
      refType: 'redemption' as const, refId: r.id, at: now,
    };
    if (to === 'posted') await ledger.confirmHold(tx, { ...move, singleUse: r.value_type === 'fixed' });
    else await ledger.voidHold(tx, move);
    if (!(await repo.setStatus(tx, r.id, 'pending', to, now, { ...decision, posted: to === 'posted' }))) {
      throw new Error(`assertion: locked redemption ${r.id} left pending`);
    }
  }

  /** Job step: voids B2B holds pending for more than 72 h, in batches; safe to re-run. */
  async voidStaleHolds(): Promise<{ voided: number; releasedFen: number }> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - HOLD_TIMEOUT_MS);
    const total = { voided: 0, releasedFen: 0 };
    for (let batch = 0; batch < HOLD_VOID_BATCHES_PER_RUN_MAX; batch++) {
      const n = await this.db.transaction(async (tx) => {
        const stale = await repo.lockStalePending(tx, cutoff, HOLD_VOID_BATCH_MAX);
        for (const r of stale) {
          await this.settleHold(tx, r, 'voided', now, { by: null, reason: 'not confirmed within 72 hours' });
          total.releasedFen += r.discount_fen;
        }
        return stale.length;
      });
      total.voided += n;
      if (n < HOLD_VOID_BATCH_MAX) break;
    }
    return total;
  }

  /**
   * Reverses a posted redemption, by its own merchant, within the pool's reversal window
   * (reversalWindowMinutes after posting, or by default until the end of that Asia/Shanghai
   * business day). Idempotent: a second call answers the first reversal.
   */
  async reverse(actor: Actor, id: string, reason: string | null): Promise<{ redemption: Redemption; created: boolean }> {
    const merchantIds = orgsWithRole(actor, MERCHANT_ROLES);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const r = await repo.findFull(tx, id, true);
      if (!r || !merchantIds.includes(r.merchant_id)) throw new HttpProblem('NOT_FOUND', 'No such redemption');
      if (r.rv_id) return { redemption: toRedemption(r), created: false };
      if (r.status !== 'posted') throw new HttpProblem('REDEMPTION_STATE_CONFLICT', `The redemption is ${r.status}`);
      const deadline = reversalDeadline(r);
      if (now >= deadline) throw new HttpProblem('REVERSAL_WINDOW_CLOSED', `The window closed at ${deadline.toISOString()}`);
      const reversalId = randomUUID();
      const { destination } = await ledger.reverse(tx, {
        poolId: r.pool_id, voucherId: r.voucher_id, merchantId: r.merchant_id, amountFen: r.discount_fen,
        refType: 'reversal', refId: reversalId, at: now,
      });
      await repo.insertReversal(tx, {
        id: reversalId, redemption_id: id, pool_id: r.pool_id, issuer_id: r.issuer_id, voucher_id: r.voucher_id,
        merchant_id: r.merchant_id, amount_fen: r.discount_fen, destination, reason, reversed_by: actor.userId, created_at: now.toISOString(),
      });
      if (!(await repo.setStatus(tx, id, 'posted', 'reversed', now, null))) throw new Error(`assertion: locked redemption ${id} moved`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: r.merchant_id, orgId: r.issuer_id, action: 'redemption.reversed',
        targetType: 'redemption', targetId: id, summary: { reversalId, amountFen: r.discount_fen, destination, ...(reason ? { reason } : {}) },
      });
      return { redemption: toRedemption((await repo.findFull(tx, id)) as RedemptionFull), created: true };
    });
  }
}

/** The instant a posted redemption can no longer be reversed. */
export function reversalDeadline(r: Pick<RedemptionFull, 'posted_at' | 'reversal_window_minutes'>): Date {
  if (!r.posted_at) throw new Error('assertion: an unposted redemption has no reversal window');
  const posted = new Date(r.posted_at);
  return r.reversal_window_minutes === null
    ? nextShanghaiMidnight(posted)
    : new Date(posted.getTime() + r.reversal_window_minutes * 60_000);
}

