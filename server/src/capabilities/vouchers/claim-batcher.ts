/**
 * Owns the batching of claims (DESIGN.md, Budget accounting: "the claim path batches").
 * Every claim on a pool takes from the same pool row, so one transaction per claim queues
 * on that row. Here concurrent claims on one pool wait in a per-pool queue, flushed after
 * `waitMs` or at `batchMax` members, and are folded into ONE transaction: the stored keys
 * are read, eligibility is checked for all, `VouchersService.issueMany` bumps the limit
 * counters and reserves the batch's vouchers with one conditional UPDATE, and every
 * member's key is stored with its own answer (a success as its voucher's id) in the same transaction. Each request still
 * gets its own answer, and only after the commit.
 *
 * Guarantees:
 * - a holder appears at most once per batch (a second request waits for the next batch,
 *   where the limit counters decide);
 * - a batch answers as many successes as it stored vouchers (issueMany asserts it);
 * - a partly filled batch answers POOL_EXHAUSTED (ROUND_EXHAUSTED where a round's share
 *   refused it) for exactly its overflow, and "sold out" is only ever decided by a read or an
 *   UPDATE inside the transaction that stores the answer;
 * - on a pool with rounds a batch takes from the open round's share, then from the pool, in
 *   its transaction; between rounds, or when the round closed before the batch ran, its
 *   members run singly and get ROUND_NOT_OPEN;
 * - a key already stored (a replay) and every member of a batch that fails run singly
 *   (`VouchersService.claimSingly`), which replays or executes exactly once;
 * - a queue holds at most `queueMax` requests; more answer 503 OVERLOADED with Retry-After.
 */
import { performance } from 'node:perf_hooks';
import { assertBatchingOptions, BATCHING_OFF, takeBatch, type BatchingOptions } from '../../platform/batching';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { metrics } from '../../platform/metrics';
import { HttpProblem } from '../../app/problem';
import { fingerprintOf, keyRefId, storeAnswers, storedKeys, type StoredAnswer } from '../../app/idempotency';
import type { Actor } from '../identity';
import { findPool, holderFor, type Holder, type PoolRow, type PoolsService } from '../pools';
import type { VouchersService } from './vouchers.service';

/** Claims are queued per pool; in-flight batches of one pool prepare side by side while one holds the pool row. */
export type ClaimBatchingOptions = BatchingOptions;
export const CLAIM_BATCHING_OFF = BATCHING_OFF;

/** Cached pool rows serve only the fast path: any doubt (not visible, not claimable, not open) goes singly, with a fresh read. */
const POOL_CACHE_TTL_MS = 1_000;
const POOL_CACHE_MAX = 10_000;
const RETRY_AFTER_SECONDS = 1;
/** While a batch is in flight, the next waits up to a quarter of a batch's duration (at most this) to fill up */
const LINGER_MAX_MS = 50;
const BATCH_MS_SMOOTHING = 0.2;

type Answer = { status: number; body: unknown };

interface Member {
  actor: Actor;
  holder: Holder;
  poolId: string;
  key: string;
  body: { ticketStub?: string };
  fingerprint: string;
  resolve(answer: StoredAnswer): void;
  reject(err: unknown): void;
}

interface PoolQueue {
  pool: PoolRow;
  waiting: Member[];
  inFlight: number;
  timer: NodeJS.Timeout | null;
  /** the last committed batch left less than one voucher (in the pool or its round's share): the next one checks that before writing */
  soldOut: boolean;
  drained: (() => void)[];
  /** how long a batch takes (moving average) */
  batchMs: number;
}

interface BatchResult {
  answers: [Member, Answer][];
  replays: Member[];
  availableAfterFen: number | null;
}

/** A key of the batch was stored by another request meanwhile: roll back, run singly. */
class KeyTaken extends Error {}

/** The pool no longer covers a whole batch reserved last: roll back, and run it again reserving as many as fit. */
export class BatchDoesNotFit extends Error {
  constructor(poolId: string) {
    super(`pool ${poolId} does not cover the whole batch`);
    this.name = 'BatchDoesNotFit';
  }
}

/** The pool row changed under a batch (not funded, or no longer open): its members must run singly. */
export class PoolNotIssuable extends Error {
  constructor(poolId: string) {
    super(`pool ${poolId} is not funded or not open`);
    this.name = 'PoolNotIssuable';
  }
}

const scopeOf = (m: Pick<Member, 'holder'>) => `claim:${m.holder.id}`;
const refOf = (m: Member) => ({ scope: scopeOf(m), key: m.key });

function problemAnswer(problem: HttpProblem): Answer {
  return { status: problem.status, body: problem.toJSON() };
}

export class ClaimBatcher {
  private readonly queues = new Map<string, PoolQueue>();
  /** pool rows by id, with the time they were read; one read in flight per pool (a storm's first claims share it) */
  private readonly poolCache = new Map<string, { row: Promise<PoolRow | null>; at: number }>();

  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly pools: PoolsService,
    private readonly vouchers: VouchersService, private readonly options: ClaimBatchingOptions,
  ) {
    assertBatchingOptions('claim batching', options);
  }

  /** A claim: batched when the pool allows it and it would pass the window checks, else singly. */
  async claim(actor: Actor, poolId: string, key: string, body: { ticketStub?: string }): Promise<StoredAnswer> {
    const pool = await this.poolRow(poolId);
    if (!pool || !this.pools.canSee(actor, pool) || !this.batchable(pool)) return this.vouchers.claimSingly(actor, poolId, key, body);
    const holder = holderFor(actor, pool.audience);
    if (!holder) return this.vouchers.claimSingly(actor, poolId, key, body);
    return this.enqueue(pool, { actor, holder, poolId, key, body, fingerprint: fingerprintOf({ poolId, body }) });
  }

  /** Flushes every queue and resolves when no batch is waiting or in flight (graceful shutdown). */
  async flushAll(): Promise<void> {
    const drains = [...this.queues.values()].map((q) => new Promise<void>((resolve) => {
      if (q.inFlight === 0 && q.waiting.length === 0) return resolve();
      q.drained.push(resolve);
      this.flush(q);
    }));
    await Promise.all(drains);
  }

  /** Pools whose claims need more than issueMany does (ticket stubs) and refusals take the single path. */
  private batchable(pool: PoolRow): boolean {
    if (pool.ticket_stub_required) return false;
    try {
      this.vouchers.assertClaimable(pool, 'first_come', this.clock.now());
      return true;
    } catch {
      return false;
    }
  }

  private poolRow(poolId: string): Promise<PoolRow | null> {
    const hit = this.poolCache.get(poolId);
    const nowMs = performance.now();
    if (hit && nowMs - hit.at < POOL_CACHE_TTL_MS) return hit.row;
    const row = findPool(this.db, poolId);
    if (this.poolCache.size >= POOL_CACHE_MAX) this.poolCache.delete(this.poolCache.keys().next().value as string);
    this.poolCache.set(poolId, { row, at: nowMs });
    row.catch(() => this.poolCache.delete(poolId));
    return row;
  }

  private enqueue(pool: PoolRow, member: Omit<Member, 'resolve' | 'reject'>): Promise<StoredAnswer> {
    // (the member is rebuilt below, not spread: `{ ...member, resolve }` costs microseconds on Node 20, see viewOf)
    let q = this.queues.get(pool.id);
    if (!q) {
      q = { pool, waiting: [], inFlight: 0, timer: null, soldOut: false, drained: [], batchMs: 0 };
      this.queues.set(pool.id, q);
    }
    q.pool = pool;
    if (q.waiting.length >= this.options.queueMax) {
      throw new HttpProblem('OVERLOADED', `More than ${this.options.queueMax} claims are waiting on this pool`, {
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
    }
    const queue = q;
    return new Promise<StoredAnswer>((resolve, reject) => {
      const { actor, holder, poolId, key, body, fingerprint } = member;
      queue.waiting.push({ actor, holder, poolId, key, body, fingerprint, resolve, reject });
      this.schedule(queue);
    });
  }

  /**
   * Starts a batch now when one is full, else after a delay: `waitMs` on an idle pool (low
   * latency), longer while another batch is in flight (a fuller batch costs about as many
   * round trips as a small one, and the pool row serialises the reservations anyway).
   */
  private schedule(q: PoolQueue): void {
    if (q.inFlight >= this.options.inFlightMax) return; // a batch in flight schedules again when it ends
    if (q.waiting.length >= this.options.batchMax) return this.flush(q);
    if (q.timer) return;
    const delayMs = q.inFlight === 0 ? this.options.waitMs : Math.max(this.options.waitMs, Math.min(LINGER_MAX_MS, q.batchMs / 4));
    q.timer = setTimeout(() => this.flush(q), delayMs);
  }

  private flush(q: PoolQueue): void {
    if (q.timer) clearTimeout(q.timer);
    q.timer = null;
    if (q.inFlight >= this.options.inFlightMax || q.waiting.length === 0) return;
    const batch = this.take(q);
    q.inFlight++;
    metrics.claimBatchSize.observe(batch.length);
    const startedMs = performance.now();
    this.run(q, batch).catch((err: unknown) => {
      for (const m of batch) m.reject(err);
    }).finally(() => {
      q.inFlight--;
      q.batchMs += (performance.now() - startedMs - q.batchMs) * BATCH_MS_SMOOTHING;
      if (q.drained.length > 0) this.flush(q); // shutting down: no lingering
      else if (q.waiting.length > 0) this.schedule(q);
      if (q.inFlight === 0 && q.waiting.length === 0) this.settle(q);
    });
  }

  /** Up to batchMax members, at most one per holder, oldest first; the rest keep their places. */
  private take(q: PoolQueue): Member[] {
    const { batch, rest } = takeBatch(q.waiting, this.options.batchMax, (m) => [m.holder.id]);
    q.waiting = rest;
    return batch;
  }

  private settle(q: PoolQueue): void {
    for (const resolve of q.drained.splice(0)) resolve();
  }

  private async run(q: PoolQueue, batch: Member[]): Promise<void> {
    let result: BatchResult;
    try {
      result = await this.attempt(q, batch, !q.soldOut).catch((err: unknown) => {
        if (err instanceof BatchDoesNotFit) return this.attempt(q, batch, false);
        throw err;
      });
    } catch (err) {
      if (err instanceof PoolNotIssuable || err instanceof BatchDoesNotFit) this.poolCache.delete(q.pool.id);
      await this.singly(batch);
      return;
    }
    if (result.availableAfterFen !== null) q.soldOut = result.availableAfterFen < q.pool.amount_fen;
    for (const [m, answer] of result.answers) m.resolve({ status: answer.status, body: answer.body, replayed: false });
    await this.singly(result.replays);
  }

  /** One try of a batch: optimistic (reserve all last, the common case) or careful (reserve as many as fit). */
  private attempt(q: PoolQueue, batch: Member[], reserveLast: boolean): Promise<BatchResult> {
    return this.db.transaction((tx) => this.batchTransaction(tx, q.pool, batch, q.soldOut, reserveLast));
  }

  private async singly(members: Member[]): Promise<void> {
    await Promise.all(members.map((m) => this.vouchers.claimSingly(m.actor, m.poolId, m.key, m.body).then(m.resolve, m.reject)));
  }

  /** The batch's one transaction: every member's answer is decided and stored here, or none is. */
  private async batchTransaction(tx: Queryable, pool: PoolRow, batch: Member[], soldOut: boolean, reserveLast: boolean): Promise<BatchResult> {
    const now = this.clock.now();
    const stored = await storedKeys(tx, batch.map(refOf));
    const replays = batch.filter((m) => stored.has(keyRefId(refOf(m))));
    const fresh = batch.filter((m) => !stored.has(keyRefId(refOf(m))));
    if (fresh.length === 0) return { answers: [], replays, availableAfterFen: null };
    const answers = new Map<Member, Answer>();
    const verdicts = await this.pools.eligibilityMany(tx, pool, fresh.map((m) => m.holder));
    const eligible: Member[] = [];
    for (const m of fresh) {
      const verdict = verdicts.get(m.holder.id);
      if (verdict?.eligible) eligible.push(m);
      else answers.set(m, problemAnswer(new HttpProblem('NOT_ELIGIBLE', verdict?.reasons.filter((r) => !r.pass).map((r) => r.en).join('; '))));
    }
    const store = async (): Promise<void> => {
      const rows = fresh.map((m) => {
        const answer = answers.get(m) as Answer;
        return { scope: scopeOf(m), key: m.key, fingerprint: m.fingerprint, status: answer.status, body: this.vouchers.claimAnswers(m.actor).toStored(answer.status, answer.body) };
      });
      if ((await storeAnswers(tx, rows, now)) !== fresh.length) throw new KeyTaken();
    };
    let availableAfterFen: number | null = null;
    if (eligible.length === 0) await store();
    else {
      const issued = await this.vouchers.issueMany(tx, pool, eligible.map((m) => ({ holder: m.holder })), now, {
        source: 'claim', openOnly: true, soldOutHint: soldOut, reserveLast,
        record: async (outcomes) => {
          outcomes.forEach((o, i) => {
            const m = eligible[i] as Member;
            answers.set(m, o.voucher ? { status: 201, body: this.vouchers.viewOf(o.voucher, pool, m.actor) } : problemAnswer(new HttpProblem(o.problem)));
          });
          await store();
        },
      });
      availableAfterFen = issued.availableAfterFen;
    }
    return { answers: fresh.map((m) => [m, answers.get(m) as Answer]), replays, availableAfterFen };
  }
}
