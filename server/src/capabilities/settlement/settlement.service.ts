/**
 * Owns settlement (结算): the daily batches of what each issuer owes each merchant (per funder
 * for co-funded pools), their approval (four eyes) and payment, and the CSV statements.
 *
 * Every posted redemption and every reversal before a cut-off lands in exactly one batch: the
 * transaction that creates an issuer × merchant's batches claims its rows with one conditional
 * UPDATE each (`… SET settlement_batch_id = $batch WHERE settlement_batch_id IS NULL`), and the
 * batch key (issuer, merchant, funder, cut-off) is unique, so a second run of the same cut-off
 * creates nothing. Each issuer × merchant is its own transaction: a run killed midway keeps
 * what it committed and the next run does the rest. Money moves only when a batch is paid:
 * the ledger posts spent → settled.
 */
import { randomUUID } from 'node:crypto';
import {
  addDays, shanghaiDate, shanghaiDayStart, splitByShares, type Funder, type SettlementBatch, type SettlementBatchDetail,
  type SettlementRunResult,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { settleBatch } from '../ledger';
import { ISSUER_READ_ROLES } from '../pools';
import * as repo from './settlement.repository';
import type { BatchRow, ClaimedRow, GroupPool, NewLine, SettlementGroup } from './settlement.repository';

/** rows of one kind one batch claims at most; the rest waits for the next cut-off */
export const SETTLEMENT_ROWS_PER_GROUP_MAX = 100_000;
/** issuer × merchant groups one run settles at most; a manual re-run continues */
export const SETTLEMENT_GROUPS_PER_RUN_MAX = 10_000;
const NO_FUNDER = '';

/** Thrown inside a group's transaction to roll it back: another run settled it, or nothing was left. */
class GroupSkipped extends Error {}

interface GroupOutcome {
  batches: number;
  lines: number;
}

export class SettlementService {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService) {}

  /** The job: batches for the cut-off at the latest 00:00 Asia/Shanghai. */
  runDaily(): Promise<SettlementRunResult> {
    return this.createBatches(shanghaiDayStart(shanghaiDate(this.clock.now())));
  }

  /**
   * Creates the batches of every issuer × merchant with unsettled rows before `cutoff`. A group
   * that fails is rolled back alone; the others commit, and the run then fails naming it.
   */
  async createBatches(cutoff: Date): Promise<SettlementRunResult> {
    if (cutoff.getTime() !== shanghaiDayStart(shanghaiDate(cutoff)).getTime()) {
      throw new Error(`assertion: cut-off ${cutoff.toISOString()} is not 00:00 Asia/Shanghai`);
    }
    const groups = await repo.unsettledGroups(this.db, cutoff, SETTLEMENT_GROUPS_PER_RUN_MAX);
    const result: SettlementRunResult = { cutoffAt: cutoff.toISOString(), groups: groups.length, batches: 0, lines: 0, skipped: 0 };
    const failures: string[] = [];
    for (const g of groups) {
      try {
        const outcome = await this.db.transaction((tx) => this.settleGroup(tx, g, cutoff));
        result.batches += outcome.batches;
        result.lines += outcome.lines;
      } catch (err) {
        if (err instanceof GroupSkipped) result.skipped++;
        else failures.push(`merchant ${g.merchant_id} of issuer ${g.issuer_id}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(`settlement: ${failures.length} of ${groups.length} groups failed (the others were committed; `
        + `re-run to retry): ${failures.slice(0, 3).join('; ')}`);
    }
    return result;
  }

  /** One issuer × merchant, in the caller's transaction: its batches, claimed rows and lines. */
  private async settleGroup(tx: Queryable, g: SettlementGroup, cutoff: Date): Promise<GroupOutcome> {
    const pools = await repo.unsettledPools(tx, g, cutoff);
    if (pools.length === 0) throw new GroupSkipped();
    const now = this.clock.now().toISOString();
    const keys = funderKeys(pools);
    const inserted = await repo.insertBatches(tx, [...keys.entries()].map(([code, nameZh]) => ({
      id: randomUUID(), issuer_id: g.issuer_id, merchant_id: g.merchant_id, funder_code: code, funder_name_zh: nameZh,
      cutoff_at: cutoff.toISOString(), business_day: addDays(shanghaiDate(cutoff), -1), created_at: now,
    })));
    // a key already taken means another run settled this group for this cut-off
    if (inserted.length !== keys.size) throw new GroupSkipped();
    const batchOf = new Map(inserted.map((b) => [b.funder_code, b.id]));
    const poolBatch = new Map(pools.map((p) => [p.pool_id, batchOf.get(p.funders[0]?.code ?? NO_FUNDER) as string]));
    const claimed = [
      ...(await repo.claimRedemptions(tx, g, cutoff, poolBatch, SETTLEMENT_ROWS_PER_GROUP_MAX)),
      ...(await repo.claimReversals(tx, g, cutoff, poolBatch, SETTLEMENT_ROWS_PER_GROUP_MAX)),
    ];
    if (claimed.length === 0) throw new GroupSkipped();
    const lines = linesOf(claimed, new Map(pools.map((p) => [p.pool_id, p.funders])), batchOf);
    await repo.insertLines(tx, lines);
    const batchIds = inserted.map((b) => b.id);
    const empty = await repo.totalBatches(tx, batchIds);
    await repo.deleteBatches(tx, empty);
    const batches = await repo.findBatches(tx, batchIds.filter((id) => !empty.includes(id)));
    for (const b of batches) {
      await this.audit.record(tx, {
        actorUserId: null, orgId: b.issuer_id, action: 'settlement.created', targetType: 'settlement_batch', targetId: b.id,
        summary: { by: 'job', merchantId: b.merchant_id, funderCode: b.funder_code || null, cutoffAt: b.cutoff_at,
          redemptions: b.redemption_count, reversals: b.reversal_count, amountFen: b.amount_fen },
      });
    }
    return { batches: batches.length, lines: lines.length };
  }

  private visibility(actor: Actor): repo.Visibility {
    return {
      all: hasRole(actor, ['platform_admin']),
      issuerIds: orgsWithRole(actor, ISSUER_READ_ROLES),
      merchantIds: orgsWithRole(actor, ['merchant_admin']),
    };
  }

  private canSee(actor: Actor, b: BatchRow): boolean {
    const v = this.visibility(actor);
    return v.all || v.issuerIds.includes(b.issuer_id) || v.merchantIds.includes(b.merchant_id);
  }

  /** A batch the actor may see; any other answers 404, so existence does not leak. */
  private async visible(q: Queryable, actor: Actor, id: string, lock = false): Promise<BatchRow> {
    const row = await repo.findBatch(q, id, lock);
    if (!row || !this.canSee(actor, row)) throw new HttpProblem('NOT_FOUND', 'No such settlement batch');
    return row;
  }

  async list(actor: Actor, q: { limit: number; cursor?: string; status?: string; merchantId?: string; businessDay?: string }) {
    const [beforeCreatedAt, beforeId] = q.cursor ? Buffer.from(q.cursor, 'base64url').toString().split('|') : [];
    const paging = beforeCreatedAt && beforeId && /^[0-9a-f-]{36}$/.test(beforeId) && !Number.isNaN(Date.parse(beforeCreatedAt))
      ? { beforeCreatedAt, beforeId } : {};
    const rows = await repo.listBatches(this.db, this.visibility(actor), {
      limit: q.limit, ...paging, ...(q.status ? { status: q.status } : {}), ...(q.merchantId ? { merchantId: q.merchantId } : {}),
      ...(q.businessDay ? { businessDay: q.businessDay } : {}),
    });
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toBatch),
      nextCursor: rows.length === q.limit && last ? Buffer.from(`${last.created_at}|${last.id}`).toString('base64url') : null,
    };
  }

  async get(actor: Actor, id: string): Promise<SettlementBatchDetail> {
    const row = await this.visible(this.db, actor, id);
    const pools = await repo.poolTotals(this.db, id);
    return {
      ...toBatch(row),
      pools: pools.map((p) => ({ poolId: p.pool_id, poolNameZh: p.pool_name_zh, lineCount: p.line_count, amountFen: p.amount_fen })),
    };
  }

  /** The batch for its statement, when the actor may see it. */
  async forStatement(actor: Actor, id: string): Promise<SettlementBatch> {
    return toBatch(await this.visible(this.db, actor, id));
  }

  statementLines(batchId: string, afterId: number, limit: number): Promise<repo.StatementLineRow[]> {
    return repo.statementLines(this.db, batchId, afterId, limit);
  }

  /** An approver of the batch's issuer; for anyone else the batch does not exist. */
  private async lockForApprover(tx: Queryable, actor: Actor, id: string): Promise<BatchRow> {
    const row = await repo.findBatch(tx, id, true);
    if (!row || !orgsWithRole(actor, ['issuer_approver']).includes(row.issuer_id)) {
      throw new HttpProblem('NOT_FOUND', 'No such settlement batch');
    }
    return row;
  }

  /** draft → approved, by an approver of the issuer who did not create it (four eyes). Idempotent. */
  async approve(actor: Actor, id: string): Promise<{ batch: SettlementBatch; changed: boolean }> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const b = await this.lockForApprover(tx, actor, id);
      if (b.status !== 'draft') return { batch: toBatch(b), changed: false };
      if (b.created_by === actor.userId) throw new HttpProblem('FOUR_EYES_REQUIRED', 'You created this batch');
      if (!(await repo.approve(tx, id, actor.userId, now))) throw new Error(`assertion: locked batch ${id} left draft`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: b.issuer_id, orgId: b.issuer_id, action: 'settlement.approved',
        targetType: 'settlement_batch', targetId: id, summary: { merchantId: b.merchant_id, amountFen: b.amount_fen },
      });
      return { batch: toBatch((await repo.findBatch(tx, id)) as BatchRow), changed: true };
    });
  }

  /**
   * approved → paid with the bank transfer's reference; the ledger moves the batch's amounts
   * spent → settled per pool. Repeating it with the same reference answers the paid batch.
   */
  async markPaid(actor: Actor, id: string, paymentRef: string): Promise<{ batch: SettlementBatch; changed: boolean }> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const b = await this.lockForApprover(tx, actor, id);
      if (b.status === 'paid') {
        if (b.payment_ref === paymentRef) return { batch: toBatch(b), changed: false };
        throw new HttpProblem('SETTLEMENT_STATE_CONFLICT', `The batch was already paid with reference ${b.payment_ref}`);
      }
      if (b.status !== 'approved') throw new HttpProblem('SETTLEMENT_STATE_CONFLICT', 'Approve the batch before marking it paid');
      if (!(await repo.markPaid(tx, id, actor.userId, now, paymentRef))) throw new Error(`assertion: locked batch ${id} left approved`);
      const pools = await repo.poolTotals(tx, id);
      const { settledFen } = await settleBatch(tx, {
        batchId: id, merchantId: b.merchant_id, at: now, pools: pools.map((p) => ({ poolId: p.pool_id, amountFen: p.amount_fen })),
      });
      if (settledFen !== b.amount_fen) throw new Error(`assertion: batch ${id} settles ${settledFen}, its total is ${b.amount_fen}`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: b.issuer_id, orgId: b.issuer_id, action: 'settlement.paid',
        targetType: 'settlement_batch', targetId: id, summary: { merchantId: b.merchant_id, amountFen: b.amount_fen, paymentRef },
      });
      return { batch: toBatch((await repo.findBatch(tx, id)) as BatchRow), changed: true };
    });
  }
}

/** Funder code → Chinese name for every batch the group needs ('' → null: not co-funded). */
function funderKeys(pools: GroupPool[]): Map<string, string | null> {
  const keys = new Map<string, string | null>();
  for (const p of pools) {
    if (p.funders.length === 0) {
      keys.set(NO_FUNDER, null);
      continue;
    }
    const shares = p.funders.reduce((s, f) => s + f.shareBp, 0);
    if (shares !== 10_000) throw new Error(`assertion: funders of pool ${p.pool_id} share ${shares} bp, not 10000`);
    for (const f of p.funders) if (!keys.has(f.code)) keys.set(f.code, f.nameZh);
  }
  return keys;
}

/** One line per claimed row per funder share; a reversal's shares are its redemption's, negated. */
function linesOf(claimed: ClaimedRow[], fundersOf: Map<string, Funder[]>, batchOf: Map<string, string>): NewLine[] {
  const lines: NewLine[] = [];
  for (const row of claimed) {
    const sign = row.kind === 'reversal' ? -1 : 1;
    const funders = fundersOf.get(row.pool_id) ?? [];
    const parts = funders.length === 0 ? [{ code: NO_FUNDER, amountFen: row.discount_fen }] : splitByShares(row.discount_fen, funders);
    for (const part of parts) {
      const batchId = batchOf.get(part.code);
      if (!batchId) throw new Error(`assertion: no batch for funder '${part.code}'`);
      lines.push({
        batch_id: batchId, kind: row.kind, redemption_id: row.redemption_id, reversal_id: row.reversal_id, pool_id: row.pool_id,
        funder_code: part.code, at: row.at, order_amount_fen: row.order_amount_fen, discount_fen: sign * row.discount_fen,
        amount_fen: sign * part.amountFen,
      });
    }
  }
  return lines;
}

export function toBatch(b: BatchRow): SettlementBatch {
  return {
    id: b.id, issuerId: b.issuer_id, issuerNameZh: b.issuer_name_zh, merchantId: b.merchant_id, merchantNameZh: b.merchant_name_zh,
    funderCode: b.funder_code === NO_FUNDER ? null : b.funder_code, funderNameZh: b.funder_name_zh, businessDay: b.business_day,
    cutoffAt: b.cutoff_at, status: b.status, redemptionCount: b.redemption_count, reversalCount: b.reversal_count,
    redeemedFen: b.redeemed_fen, reversedFen: b.reversed_fen, amountFen: b.amount_fen, createdBy: b.created_by,
    createdAt: b.created_at, approvedBy: b.approved_by, approvedAt: b.approved_at, paidBy: b.paid_by, paidAt: b.paid_at,
    paymentRef: b.payment_ref,
  };
}
