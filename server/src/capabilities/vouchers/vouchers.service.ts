/**
 * Owns vouchers: issuing them from a pool (every path: claim, lottery, application, grant
 * goes through `issueOne` or `issueMany`), the holder's wallet, QR codes, one-click
 * confirmation and revocation. Issuing reserves the amount from the pool's available budget
 * in the same transaction as the voucher row and its journal entries; a first-come claim on
 * a pool with rounds takes it from the round's budget share first (docs/ISSUANCE.md, Rounds).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import {
  QR_STEP_SECONDS, shanghaiDate, shanghaiYear, voucherCodeFromBytes, type ProblemCode, type Voucher,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { timeOrderedId } from '../../platform/ids';
import { HttpProblem } from '../../app/problem';
import { idempotent, type AnswerCodec, type StoredAnswer } from '../../app/idempotency';
import type { AuditService } from '../audit';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ledger } from '../ledger';
import {
  holderFor, ISSUER_READ_ROLES, nextRound, openRound, roundShareFen, type Holder, type PoolRow, type PoolsService,
} from '../pools';
import * as repo from './vouchers.repository';
import type { VoucherRow, VoucherWithPool } from './vouchers.repository';
import { QrTokens } from './qr-tokens';
import { consumeTicketStub } from '../ticket-stubs';
import { BatchDoesNotFit, ClaimBatcher, CLAIM_BATCHING_OFF, PoolNotIssuable, type ClaimBatchingOptions } from './claim-batcher';

const DAY_MS = 86_400_000;
/** random bytes behind a voucher code's 16 random symbols (ADR 0002) */
const CODE_ENTROPY_BYTES = 10;

export interface IssueRequest {
  holder: Holder;
  /** defaults to the pool's voucher amount */
  amountFen?: number;
  providerId?: string | null;
  source: 'claim' | 'lottery' | 'application' | 'grant';
  /** a unique reference per pool and source: a re-run with the same reference issues nothing */
  sourceRef?: string | null;
  /** one-click confirmation pools start vouchers as pending_confirmation */
  pending?: boolean;
}

/** One holder of a batch issue (`issueMany`); `sourceRef` as in IssueRequest. */
export interface BatchIssueRequest {
  holder: Holder;
  sourceRef?: string | null;
}

export interface BatchIssueOptions {
  source: 'claim' | 'lottery';
  /** claims: the pool must still be scheduled or open when the batch reserves */
  openOnly: boolean;
  /** the last committed batch left the pool sold out: check that first, and write nothing when it still is */
  soldOutHint?: boolean;
  /** reserve all with the last statement, or throw BatchDoesNotFit (see issueAllThenReserve): for batches that usually fit */
  reserveLast?: boolean;
  /** writes what depends on the outcomes (the claim batch: each member's idempotency key and answer) in the same transaction */
  record?: (outcomes: IssueOutcome[]) => Promise<void>;
}

export type IssueOutcome = { voucher: VoucherRow; problem: null } | { voucher: null; problem: ProblemCode };

export interface BatchIssueResult {
  /** per request, in order */
  outcomes: IssueOutcome[];
  /**
   * what the pool can still issue after the batch (committed with it): its available, and for
   * a claim in a round at most what is left of the round's share; null when no holder got as
   * far as the budget
   */
  availableAfterFen: number | null;
}

/** What a batch reserved: `granted` vouchers; the round's share covered `coveredFromRound` of them before the pool was asked. */
interface Reserved {
  granted: number;
  coveredFromRound: number;
  availableAfterFen: number;
}

/** One limit a holder must pass, in its batch form: bump the counters, or undo a bump. */
interface LimitStep {
  code: ProblemCode;
  bump(tx: Queryable, holderIds: string[]): Promise<Set<string>>;
  undo(tx: Queryable, holderIds: string[]): Promise<void>;
}

export class VouchersService {
  readonly qr: QrTokens;
  /** null when CLAIM_BATCHING is off: every claim is then its own transaction */
  readonly batcher: ClaimBatcher | null;

  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService,
    private readonly pools: PoolsService, qrSecret: string, batching: ClaimBatchingOptions = CLAIM_BATCHING_OFF,
  ) {
    this.qr = new QrTokens(qrSecret);
    this.batcher = batching.enabled ? new ClaimBatcher(db, clock, pools, this, batching) : null;
  }

  /**
   * Issues one voucher inside the caller's transaction. Limits are counter rows and the
   * budget is one conditional UPDATE, so no concurrency can oversell or pass a limit.
   * A claim on a pool with rounds counts the holder's limit in the open round and takes from
   * the round's share before the pool. Throws a problem (ROUND_NOT_OPEN, LIMIT_REACHED,
   * DAILY_LIMIT_REACHED, ANNUAL_CAP_REACHED, ROUND_EXHAUSTED, POOL_EXHAUSTED).
   */
  async issueOne(tx: Queryable, pool: PoolRow, req: IssueRequest, now: Date): Promise<VoucherRow> {
    const amountFen = req.amountFen ?? pool.amount_fen;
    if (!Number.isSafeInteger(amountFen) || amountFen <= 0) throw new Error(`assertion: bad voucher amount ${amountFen}`);
    const round = claimRoundOf(pool, req.source, now);
    if (round === 'between') throw new HttpProblem('ROUND_NOT_OPEN');
    if (!(await repo.bumpPoolCounter(tx, pool.id, round ?? 0, req.holder.id, pool.per_holder_max))) throw new HttpProblem('LIMIT_REACHED');
    if (pool.per_holder_daily_max !== null &&
        !(await repo.bumpDailyCounter(tx, pool.id, req.holder.id, shanghaiDate(now), pool.per_holder_daily_max))) {
      throw new HttpProblem('DAILY_LIMIT_REACHED');
    }
    if (pool.annual_cap_fen !== null &&
        !(await repo.addAnnualUse(tx, pool.issuer_id, pool.kind, req.holder.id, shanghaiYear(now), amountFen, pool.annual_cap_fen))) {
      throw new HttpProblem('ANNUAL_CAP_REACHED');
    }
    if (round !== null && (await this.takeFromRound(tx, pool, round, amountFen, 1, now)).granted === 0) {
      throw new HttpProblem('ROUND_EXHAUSTED');
    }
    if (!(await ledger.reserve(tx, pool.id, amountFen))) throw new HttpProblem('POOL_EXHAUSTED');
    const validUntil = validUntilOf(pool, now);
    const id = timeOrderedId();
    const [voucher] = await repo.insertVouchers(tx, [{
      id, code: voucherCodeFromBytes(randomBytes(CODE_ENTROPY_BYTES)), poolId: pool.id, issuerId: pool.issuer_id, holderKind: req.holder.kind,
      holderId: req.holder.id, amountFen, providerId: req.providerId ?? null, validFrom: now, validUntil,
      status: req.pending ? 'pending_confirmation' : 'active', source: req.source, sourceRef: req.sourceRef ?? null,
    }], now);
    await ledger.post(tx, ledger.issueEntries(pool.id, [{ id, amountFen }], now));
    return voucher as VoucherRow;
  }

  /**
   * Issues one voucher to each of many distinct holders inside the caller's transaction, with
   * one statement per step instead of one per voucher: each limit's counters (in holder-id
   * order), one multi-row INSERT of the vouchers, one journal transaction, and ONE conditional
   * UPDATE of the pool's available. The earliest requests get the vouchers: a partly covered
   * batch answers POOL_EXHAUSTED for exactly its overflow and nothing else does. A holder
   * refused at a step gets that step's code and its earlier bumps are undone, as issueOne's
   * savepoint would. `opts.record` writes what depends on the outcomes in the same
   * transaction. A claim batch on a pool with rounds takes from the round's share first, and
   * its overflow refused there answers ROUND_EXHAUSTED. Throws PoolNotIssuable when the pool
   * row no longer qualifies, or no round is open (the caller then runs the requests singly).
   */
  async issueMany(tx: Queryable, pool: PoolRow, reqs: BatchIssueRequest[], now: Date, opts: BatchIssueOptions): Promise<BatchIssueResult> {
    if (new Set(reqs.map((r) => r.holder.id)).size !== reqs.length) throw new Error('assertion: a batch issue names a holder twice');
    const round = claimRoundOf(pool, opts.source, now);
    if (round === 'between') throw new PoolNotIssuable(pool.id);
    const steps = this.limitSteps(pool, round ?? 0, now);
    const soldOut = opts.soldOutHint && steps.length === 1 ? await this.soldOutAnswers(tx, pool, round, reqs) : null;
    if (soldOut) return recorded(soldOut, opts);
    const { alive, problems, done } = await passLimits(tx, reqs, steps);
    if (alive.length === 0) return recorded(resultOf(reqs, problems, [], null), opts);
    if (opts.reserveLast) return this.issueAllThenReserve(tx, pool, round, reqs, alive, problems, now, opts);
    const taken = await this.reserveUpTo(tx, pool, round, alive.length, opts.openOnly, now);
    const overflow = alive.slice(taken.granted);
    await undoSteps(tx, done, sortedHolderIds(reqs, overflow));
    overflow.forEach((i, n) => { problems[i] = taken.granted + n < taken.coveredFromRound ? 'POOL_EXHAUSTED' : 'ROUND_EXHAUSTED'; });
    const issued = await this.storeBatch(tx, pool, alive.slice(0, taken.granted).map((i) => reqs[i] as BatchIssueRequest), now, opts.source);
    return recorded(resultOf(reqs, problems, issued, taken.availableAfterFen), opts);
  }

  /**
   * Reserves as many of the pool's vouchers as fit, up to `count`: from the round's share
   * first (a claim in a round), then from the pool's available; what the share granted and
   * the pool did not goes back to the share in this transaction. Throws PoolNotIssuable when
   * the pool is not funded (or, with `openOnly`, not open).
   */
  private async reserveUpTo(
    tx: Queryable, pool: PoolRow, round: number | null, count: number, openOnly: boolean, now: Date,
  ): Promise<Reserved> {
    const share = round === null ? { granted: count, leftFen: Infinity } : await this.takeFromRound(tx, pool, round, pool.amount_fen, count, now);
    if (share.granted === 0) return { granted: 0, coveredFromRound: 0, availableAfterFen: share.leftFen };
    const taken = await ledger.reserveUpTo(tx, pool.id, pool.amount_fen, share.granted, openOnly);
    if (!taken) throw new PoolNotIssuable(pool.id);
    const shortFen = (share.granted - taken.granted) * pool.amount_fen;
    const leftFen = round !== null && shortFen > 0 ? await repo.giveBackToRound(tx, pool.id, round, shortFen) : share.leftFen;
    return { granted: taken.granted, coveredFromRound: share.granted, availableAfterFen: Math.min(leftFen, taken.availableAfterFen) };
  }

  /**
   * Takes up to `count` vouchers of `amountFen` from the round's share. The round's first
   * claim writes its counter, with the share `roundShareFen` gives for the pool's available
   * at that moment; the share is then fixed for the round (docs/ISSUANCE.md, Rounds).
   */
  private async takeFromRound(
    tx: Queryable, pool: PoolRow, round: number, amountFen: number, count: number, now: Date,
  ): Promise<{ granted: number; leftFen: number }> {
    const taken = await repo.takeFromRound(tx, pool.id, round, amountFen, count);
    if (taken) return { granted: taken.granted, leftFen: taken.left_fen };
    const availableFen = await ledger.availableOf(tx, pool.id);
    if (availableFen === null) throw new PoolNotIssuable(pool.id);
    await repo.openRoundCounter(tx, pool.id, round, roundShareFen(pool, round, availableFen), now);
    const opened = await repo.takeFromRound(tx, pool.id, round, amountFen, count);
    if (!opened) throw new Error(`assertion: round ${round} of pool ${pool.id} has no counter after opening it`);
    return { granted: opened.granted, leftFen: opened.left_fen };
  }

  /**
   * The claim batch's common case: store every admitted voucher, its journal and the answers
   * first, then reserve them all in ONE conditional UPDATE, the last statement before the
   * commit, so the pool row is locked only from there to the commit and concurrent batches
   * do their inserts side by side. When the pool no longer covers them all (or is no longer
   * open) it throws BatchDoesNotFit: the caller rolls the transaction back and runs the batch
   * again without `reserveLast`, reserving as many as fit.
   */
  private async issueAllThenReserve(
    tx: Queryable, pool: PoolRow, round: number | null, reqs: BatchIssueRequest[], alive: number[], problems: (ProblemCode | null)[],
    now: Date, opts: BatchIssueOptions,
  ): Promise<BatchIssueResult> {
    const issued = await this.storeBatch(tx, pool, alive.map((i) => reqs[i] as BatchIssueRequest), now, opts.source);
    const result = resultOf(reqs, problems, issued, null);
    await opts.record?.(result.outcomes);
    const totalFen = pool.amount_fen * alive.length;
    // a round without a counter yet does not fit either: the careful run writes it
    const roundLeftFen = round === null ? Infinity : await repo.takeAllFromRound(tx, pool.id, round, totalFen);
    if (roundLeftFen === null) throw new BatchDoesNotFit(pool.id);
    const availableAfterFen = await ledger.reserveAll(tx, pool.id, totalFen, opts.openOnly);
    if (availableAfterFen === null) throw new BatchDoesNotFit(pool.id);
    return { outcomes: result.outcomes, availableAfterFen: Math.min(availableAfterFen, roundLeftFen) };
  }

  /** The limits of a pool in the order issueOne checks them, in batch form; `round` keys the per-holder count (0 without rounds). */
  private limitSteps(pool: PoolRow, round: number, now: Date): LimitStep[] {
    const steps: LimitStep[] = [{
      code: 'LIMIT_REACHED',
      bump: (tx, ids) => repo.bumpPoolCounters(tx, pool.id, round, ids, pool.per_holder_max),
      undo: (tx, ids) => repo.undoPoolCounters(tx, pool.id, round, ids),
    }];
    const dailyMax = pool.per_holder_daily_max;
    if (dailyMax !== null) {
      const day = shanghaiDate(now);
      steps.push({
        code: 'DAILY_LIMIT_REACHED',
        bump: (tx, ids) => repo.bumpDailyCounters(tx, pool.id, ids, day, dailyMax),
        undo: (tx, ids) => repo.undoDailyCounters(tx, pool.id, ids, day),
      });
    }
    const capFen = pool.annual_cap_fen;
    if (capFen !== null) {
      const year = shanghaiYear(now);
      steps.push({
        code: 'ANNUAL_CAP_REACHED',
        bump: (tx, ids) => repo.addAnnualUses(tx, pool.issuer_id, pool.kind, ids, year, pool.amount_fen, capFen),
        undo: (tx, ids) => repo.undoAnnualUses(tx, pool.issuer_id, pool.kind, ids, year, pool.amount_fen),
      });
    }
    return steps;
  }

  /**
   * When the pool (or the claim's round) is still sold out (read in this transaction), the
   * answers without writing: LIMIT_REACHED for holders at their maximum, ROUND_EXHAUSTED or
   * POOL_EXHAUSTED for the rest. Null when budget came back (a revocation, an expiry) or a
   * new round began: then the batch runs in full.
   */
  private async soldOutAnswers(tx: Queryable, pool: PoolRow, round: number | null, reqs: BatchIssueRequest[]): Promise<BatchIssueResult | null> {
    const availableFen = await ledger.availableOf(tx, pool.id);
    if (availableFen === null) throw new PoolNotIssuable(pool.id);
    const roundLeftFen = round === null ? null : await repo.roundLeftFen(tx, pool.id, round);
    const roundSoldOut = roundLeftFen !== null && roundLeftFen < pool.amount_fen;
    if (availableFen >= pool.amount_fen && !roundSoldOut) return null;
    const atMax = await repo.holdersAtMax(tx, pool.id, round ?? 0, reqs.map((r) => r.holder.id));
    const soldOut: ProblemCode = roundSoldOut ? 'ROUND_EXHAUSTED' : 'POOL_EXHAUSTED';
    return {
      outcomes: reqs.map((r) => ({ voucher: null, problem: atMax.has(r.holder.id) ? 'LIMIT_REACHED' : soldOut })),
      availableAfterFen: Math.min(availableFen, roundLeftFen ?? Infinity),
    };
  }

  /** Inserts the vouchers of a batch (one statement) and their journal (one transaction); asserts every row landed. */
  private async storeBatch(tx: Queryable, pool: PoolRow, reqs: BatchIssueRequest[], now: Date, source: BatchIssueOptions['source']): Promise<VoucherRow[]> {
    if (reqs.length === 0) return [];
    const at = now.toISOString();
    const validUntil = validUntilOf(pool, now);
    const entropy = randomBytes(CODE_ENTROPY_BYTES * reqs.length); // one read of the OS's randomness per batch, not per voucher
    const rows: VoucherRow[] = reqs.map((r, i) => ({
      id: timeOrderedId(), code: voucherCodeFromBytes(entropy.subarray(i * CODE_ENTROPY_BYTES, (i + 1) * CODE_ENTROPY_BYTES)), pool_id: pool.id, issuer_id: pool.issuer_id,
      holder_kind: r.holder.kind, holder_id: r.holder.id, amount_fen: pool.amount_fen, balance_fen: pool.amount_fen, held_fen: 0,
      provider_id: null, valid_from: at, valid_until: validUntil.toISOString(), status: 'active', source,
      source_ref: r.sourceRef ?? null, revoke_reason: null, issued_at: at, updated_at: at,
    }));
    const stored = await repo.insertVoucherBatch(tx, {
      poolId: pool.id, issuerId: pool.issuer_id, amountFen: pool.amount_fen, validFrom: now, validUntil, status: 'active', source, at: now,
    }, rows.map((v) => ({ id: v.id, code: v.code, holderKind: v.holder_kind, holderId: v.holder_id, sourceRef: v.source_ref })));
    if (stored !== rows.length) throw new Error(`assertion: batch stored ${stored} of ${rows.length} vouchers`);
    await ledger.post(tx, [ledger.issueBatchEntries(pool.id, rows.map((v) => ({ id: v.id, amountFen: v.amount_fen })), now, randomUUID())]);
    return rows;
  }

  /** 抢券: first come, first served, under an Idempotency-Key per holder; concurrent claims on a pool share a transaction. */
  claim(actor: Actor, poolId: string, idempotencyKey: string, body: { ticketStub?: string }): Promise<StoredAnswer> {
    if (this.batcher) return this.batcher.claim(actor, poolId, idempotencyKey, body);
    return this.claimSingly(actor, poolId, idempotencyKey, body);
  }

  /** A claim in a transaction of its own: without batching, for ticket-stub pools, refusals, replays and failed batches. */
  async claimSingly(actor: Actor, poolId: string, idempotencyKey: string, body: { ticketStub?: string }): Promise<StoredAnswer> {
    const pool = await this.pools.visiblePool(actor, poolId);
    const holder = holderFor(actor, pool.audience);
    if (!holder) throw new HttpProblem('NOT_ELIGIBLE', `This pool is for ${pool.audience === 'consumer' ? 'consumers' : 'enterprises'}`);
    return idempotent(this.db, this.clock, `claim:${holder.id}`, idempotencyKey, { poolId, body }, async (tx) => {
      const now = this.clock.now();
      this.assertClaimable(pool, 'first_come', now);
      const eligibility = await this.pools.eligibilityOf(tx, pool, holder);
      if (!eligibility.eligible) {
        throw new HttpProblem('NOT_ELIGIBLE', eligibility.reasons.filter((r) => !r.pass).map((r) => r.en).join('; '));
      }
      if (pool.ticket_stub_required) await consumeTicketStub(tx, pool, holder.id, body.ticketStub, now);
      const voucher = await this.issueOne(tx, pool, { holder, source: 'claim' }, now);
      return { status: 201, body: this.viewOf(voucher, pool, actor) };
    }, this.claimAnswers(actor));
  }

  /**
   * A claim's success is stored as its voucher's id, not the whole view (a fifth of the
   * bytes the claim path writes, and of the JSON it serialises); a replay renders the
   * voucher as it is now. Refusals, and successes stored whole before, replay as stored.
   */
  claimAnswers(actor: Actor): AnswerCodec {
    return {
      toStored: (status, body) => (status === 201 ? { voucherId: (body as Voucher).id } : body),
      fromStored: async (q, status, stored) => {
        const ref = status === 201 && stored !== null && typeof stored === 'object' && Object.keys(stored).length === 1
          ? (stored as { voucherId?: unknown }).voucherId : undefined;
        if (typeof ref !== 'string') return stored;
        return this.view(await this.visibleVoucher(actor, ref, q), actor);
      },
    };
  }

  /** Window and state checks shared by every holder-initiated path. */
  assertClaimable(pool: PoolRow, distribution: PoolRow['distribution'], now: Date): void {
    if (pool.distribution !== distribution) throw new HttpProblem('WRONG_DISTRIBUTION', `This pool issues by ${pool.distribution}`);
    if (!['scheduled', 'open'].includes(pool.status)) throw new HttpProblem('POOL_NOT_OPEN', `The pool is ${pool.status}`);
    if (now < new Date(pool.claim_opens_at) || now >= new Date(pool.claim_closes_at)) throw new HttpProblem('CLAIM_WINDOW_CLOSED');
    // a voucher valid until a passed date cannot exist (CHECK valid_until > valid_from); found by test/faults
    if (pool.valid_until && now >= new Date(pool.valid_until)) {
      throw new HttpProblem('CLAIM_WINDOW_CLOSED', `The vouchers of this pool were valid until ${pool.valid_until}`);
    }
    if (distribution === 'first_come' && pool.rounds.length > 0 && !openRound(pool, now)) {
      const next = nextRound(pool, now);
      throw new HttpProblem('ROUND_NOT_OPEN', next ? `Round ${next.round} opens at ${next.opensAt.toISOString()}` : 'The last round has closed');
    }
  }

  /**
   * The view of a voucher just issued from a pool row already loaded. The pool's columns go
   * in as a second object, not merged into the row: on Node 20 an object literal that
   * spreads an existing row and adds keys (`{ ...row, ...pool }`) costs about 25 µs, a
   * quarter of a batched claim's CPU (docs/BENCHMARKS.md, Seventh session).
   */
  viewOf(v: VoucherRow, pool: PoolRow, actor: Actor): Voucher {
    return this.render(v, poolColumnsOf(pool), actor);
  }

  /** A voucher as its holder, its issuer or the platform sees it; the QR key only for the holder. */
  view(v: VoucherWithPool, actor: Actor): Voucher {
    return this.render(v, v, actor);
  }

  private render(v: VoucherRow, p: VoucherPoolColumns, actor: Actor): Voucher {
    const isHolder = this.isHolder(actor, v);
    const now = this.clock.now().getTime();
    return {
      id: v.id, code: v.code, poolId: v.pool_id, poolNameZh: p.pool_name_zh, poolNameEn: p.pool_name_en, kind: p.kind,
      holderKind: v.holder_kind, holderId: v.holder_id, amountFen: v.amount_fen, balanceFen: v.balance_fen, heldFen: v.held_fen,
      status: v.status, validFrom: v.valid_from, validUntil: v.valid_until,
      valueRule: {
        type: p.value_type, amountFen: v.amount_fen,
        ...(p.value_type === 'fixed' ? { minSpendFen: p.min_spend_fen } : {}),
        ...(p.ratio_bp !== null ? { ratioBp: p.ratio_bp } : {}),
      },
      merchantScope: p.merchant_scope, bannedCategories: p.banned_categories, redemptionMode: p.redemption_mode,
      providerId: v.provider_id, source: v.source, issuedAt: v.issued_at,
      qr: v.holder_kind === 'consumer'
        ? { mode: 'dynamic', stepSeconds: QR_STEP_SECONDS, ...(isHolder ? { key: this.qr.voucherKey(v.id) } : {}) }
        : { mode: 'static', stepSeconds: QR_STEP_SECONDS, ...(isHolder ? { token: this.qr.tokenFor(toTokenVoucher(v), now) } : {}) },
    };
  }

  private isHolder(actor: Actor, v: VoucherRow): boolean {
    return v.holder_kind === 'consumer' ? v.holder_id === actor.userId : orgsWithRole(actor, ['enterprise']).includes(v.holder_id);
  }

  /** Holders see their own, issuers their own issuer's, the platform admin all; others 404. */
  async visibleVoucher(actor: Actor, id: string, q: Queryable = this.db): Promise<VoucherWithPool> {
    const v = await repo.findWithPool(q, id);
    const visible = v && (this.isHolder(actor, v) || hasRole(actor, ['platform_admin']) ||
      orgsWithRole(actor, ISSUER_READ_ROLES).includes(v.issuer_id));
    if (!v || !visible) throw new HttpProblem('NOT_FOUND', 'No such voucher');
    return v;
  }

  async get(actor: Actor, id: string): Promise<Voucher> {
    return this.view(await this.visibleVoucher(actor, id), actor);
  }

  async list(actor: Actor, q: { limit: number; cursor?: string; poolId?: string; status?: string }): Promise<{ items: Voucher[]; nextCursor: string | null }> {
    const [beforeIssuedAt, beforeId] = q.cursor ? Buffer.from(q.cursor, 'base64url').toString().split('|') : [];
    const paging = beforeIssuedAt && beforeId && /^[0-9a-f-]{36}$/.test(beforeId) && !Number.isNaN(Date.parse(beforeIssuedAt))
      ? { beforeIssuedAt, beforeId } : {};
    const common = { limit: q.limit, ...(q.poolId ? { poolId: q.poolId } : {}), ...(q.status ? { status: q.status } : {}), ...paging };
    const issuerScope = hasRole(actor, ['platform_admin']) ? 'all' as const : orgsWithRole(actor, ISSUER_READ_ROLES);
    let rows: VoucherWithPool[];
    if (issuerScope === 'all' || issuerScope.length > 0) rows = await repo.list(this.db, { issuerIds: issuerScope, ...common });
    else {
      const holder = holderFor(actor, 'consumer') ?? holderFor(actor, 'enterprise');
      rows = holder ? await repo.list(this.db, { holderId: holder.id, ...common }) : [];
    }
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => this.view(r, actor)),
      nextCursor: rows.length === q.limit && last ? Buffer.from(`${last.issued_at}|${last.id}`).toString('base64url') : null,
    };
  }

  /** The QR code of the voucher's current token, for its holder only (SVG or PNG, error correction M). */
  async qrImage(actor: Actor, id: string, format: 'svg' | 'png'): Promise<{ contentType: string; body: string | Buffer; token: string }> {
    const v = await this.visibleVoucher(actor, id);
    if (!this.isHolder(actor, v)) throw new HttpProblem('NOT_FOUND', 'No such voucher');
    const token = this.qr.tokenFor(toTokenVoucher(v), this.clock.now().getTime());
    if (format === 'png') return { contentType: 'image/png', body: await QRCode.toBuffer(token, { errorCorrectionLevel: 'M', margin: 2, scale: 8 }), token };
    return { contentType: 'image/svg+xml', body: await QRCode.toString(token, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), token };
  }

  /** 意愿确认: the holder accepts a granted voucher in one click. Idempotent. */
  async confirm(actor: Actor, id: string): Promise<Voucher> {
    const v = await this.visibleVoucher(actor, id);
    if (!this.isHolder(actor, v)) throw new HttpProblem('NOT_FOUND', 'No such voucher');
    if (v.status === 'pending_confirmation') {
      await this.db.transaction((tx) => repo.confirmPending(tx, id, v.holder_id, this.clock.now()));
    } else if (v.status !== 'active') throw new HttpProblem('VOUCHER_NOT_ACTIVE');
    return this.get(actor, id);
  }

  /** The issuer revokes a voucher; its remaining balance returns to the pool. Idempotent. */
  async revoke(actor: Actor, id: string, reason: string): Promise<Voucher> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const v = await this.visibleVoucher(actor, id, tx);
      if (!orgsWithRole(actor, ['issuer_manager', 'issuer_approver']).includes(v.issuer_id)) {
        if (this.isHolder(actor, v)) throw new HttpProblem('FORBIDDEN');
        throw new HttpProblem('NOT_FOUND', 'No such voucher');
      }
      if (v.status === 'revoked') return;
      const closed = await ledger.closeVoucher(tx, id, 'revoked', now, reason);
      if (!closed) throw new HttpProblem('VOUCHER_NOT_ACTIVE', v.held_fen > 0 ? 'A redemption awaiting confirmation holds part of it' : `The voucher is ${v.status}`);
      await this.audit.record(tx, {
        actorUserId: actor.userId, actorOrgId: v.issuer_id, orgId: v.issuer_id, action: 'voucher.revoked', targetType: 'voucher',
        targetId: id, summary: { reason, releasedFen: closed.releasedFen, poolId: v.pool_id },
      });
    });
    return this.get(actor, id);
  }

  /** Looks up a voucher by code for token verification. */
  async tokenVoucher(code: string, q: Queryable = this.db) {
    const v = await repo.findByCode(q, code);
    return v ? toTokenVoucher(v) : null;
  }
}

/**
 * The round a first-come claim takes from, 'between' when the pool has rounds and none is
 * open, or null when rounds do not apply: a pool without rounds, or another path (the lottery
 * draws per round itself; applications and grants are the issuer's decisions).
 */
function claimRoundOf(pool: PoolRow, source: IssueRequest['source'], now: Date): number | 'between' | null {
  if (source !== 'claim' || pool.rounds.length === 0) return null;
  return openRound(pool, now)?.round ?? 'between';
}

function validUntilOf(pool: PoolRow, now: Date): Date {
  return pool.valid_until ? new Date(pool.valid_until) : new Date(now.getTime() + (pool.valid_days ?? 30) * DAY_MS);
}

function sortedHolderIds(reqs: BatchIssueRequest[], indexes: number[]): string[] {
  return indexes.map((i) => (reqs[i] as BatchIssueRequest).holder.id).sort();
}

/** Bumps each limit's counters for the holders still admitted; returns who passed them all and why the others did not. */
async function passLimits(
  tx: Queryable, reqs: BatchIssueRequest[], steps: LimitStep[],
): Promise<{ alive: number[]; problems: (ProblemCode | null)[]; done: LimitStep[] }> {
  const problems: (ProblemCode | null)[] = reqs.map(() => null);
  let alive = reqs.map((_, i) => i);
  const done: LimitStep[] = [];
  for (const step of steps) {
    if (alive.length === 0) break;
    const admitted = await step.bump(tx, sortedHolderIds(reqs, alive));
    const refused = alive.filter((i) => !admitted.has((reqs[i] as BatchIssueRequest).holder.id));
    await undoSteps(tx, done, sortedHolderIds(reqs, refused));
    for (const i of refused) problems[i] = step.code;
    alive = alive.filter((i) => admitted.has((reqs[i] as BatchIssueRequest).holder.id));
    done.push(step);
  }
  return { alive, problems, done };
}

function resultOf(reqs: BatchIssueRequest[], problems: (ProblemCode | null)[], issued: VoucherRow[], availableAfterFen: number | null): BatchIssueResult {
  const byHolder = new Map(issued.map((v) => [v.holder_id, v]));
  const outcomes = reqs.map((r, i): IssueOutcome => {
    const voucher = byHolder.get(r.holder.id);
    if (voucher) return { voucher, problem: null };
    const problem = problems[i];
    if (!problem) throw new Error(`assertion: holder ${r.holder.id} got neither a voucher nor a refusal`);
    return { voucher: null, problem };
  });
  return { outcomes, availableAfterFen };
}

async function recorded(result: BatchIssueResult, opts: BatchIssueOptions): Promise<BatchIssueResult> {
  await opts.record?.(result.outcomes);
  return result;
}

/** Undoes the bumps of earlier steps for holders a later step refused. */
async function undoSteps(tx: Queryable, done: LimitStep[], holderIds: string[]): Promise<void> {
  if (holderIds.length === 0) return;
  for (const step of done) await step.undo(tx, holderIds);
}

function toTokenVoucher(v: VoucherRow) {
  return { id: v.id, code: v.code, holderKind: v.holder_kind };
}

/** The pool columns a voucher view needs (VoucherWithPool without the voucher's own). */
export type VoucherPoolColumns = Omit<VoucherWithPool, keyof VoucherRow>;

/** The pool columns a voucher view needs, from a pool row already loaded. */
export function poolColumnsOf(p: PoolRow): VoucherPoolColumns {
  return {
    pool_name_zh: p.name_zh, pool_name_en: p.name_en, kind: p.kind, value_type: p.value_type, pool_amount_fen: p.amount_fen,
    min_spend_fen: p.min_spend_fen, ratio_bp: p.ratio_bp, merchant_scope: p.merchant_scope, banned_categories: p.banned_categories,
    redemption_mode: p.redemption_mode,
  };
}
