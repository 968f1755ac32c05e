/**
 * Owns the batching of redemptions (核销), as the claim batcher does for claims. A redemption
 * in a transaction of its own costs eight round trips and one commit; on a two-core machine
 * the commits and the round trips' system calls, not the SQL, are the limit
 * (docs/BENCHMARKS.md). Here concurrent redemptions wait in one queue, flushed after `waitMs`
 * or at `batchMax` members, and are folded into ONE transaction of seven statements:
 *
 * 1. claim every member's Idempotency-Key (placeholder rows, sorted; keys first, as the single
 *    path does, so the two never wait on each other in opposite orders);
 * 2. read every fact the checks need, locking the vouchers in id order;
 * 3. run the checks in JS (the single path's `check`), member by member;
 * 4. take the discounts off the vouchers in one conditional UPDATE and post the journal in one
 *    statement (`ledger.redeemMany`);
 * 5. insert the redemption rows in one statement;
 * 6. store every member's answer (201 or its refusal) with its key, in one statement.
 *
 * Guarantees:
 * - each member's answer is decided and stored in the batch's transaction, and given only
 *   after the commit; a refusal is stored like the single path stores it;
 * - a batch holds at most one member per voucher code and per key (the others wait for the
 *   next batch);
 * - members the batch does not cover run singly after its commit (`redeemSingly`, which
 *   replays or executes exactly once): keys stored already (replays), B2B holds (confirm
 *   mode), single-use vouchers spent by less than their amount (the rest returns to the pool
 *   row), and every member of a batch that fails;
 * - the queue holds at most `queueMax` requests; more answer 503 OVERLOADED with Retry-After.
 */
import { parseToken, type RedeemRequest } from '@hqt/shared';
import { assertBatchingOptions, BATCHING_OFF, takeBatch, type BatchingOptions } from '../../platform/batching';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { timeOrderedId } from '../../platform/ids';
import { metrics } from '../../platform/metrics';
import { HttpProblem } from '../../app/problem';
import { claimKeys, fingerprintOf, finishKeys, keyRefId, type KeyRef, type StoredAnswer } from '../../app/idempotency';
import type { Actor } from '../identity';
import { ledger } from '../ledger';
import * as repo from './redemptions.repository';
import { answerOf, merchantScope, movementOf, newRedemption, requestOf, type Evaluation } from './redemption-answers';
import type { RedemptionsService } from './redemptions.service';

/** One queue for all redemptions; batches in flight lock disjoint vouchers. */
export type RedemptionBatchingOptions = BatchingOptions;
export const REDEMPTION_BATCHING_OFF = BATCHING_OFF;

const RETRY_AFTER_SECONDS = 1;

type Answer = { status: number; body: unknown };

interface Member {
  actor: Actor;
  merchantId: string;
  key: string;
  body: RedeemRequest;
  fingerprint: string;
  resolve(answer: StoredAnswer): void;
  reject(err: unknown): void;
}

/** A batch statement did not do what the checks promised (a race the locks did not cover): roll back, run singly. */
class BatchRaced extends Error {}

const refOf = (m: Member): KeyRef => ({ scope: merchantScope(m.merchantId), key: m.key });
/** What makes two members collide in one batch: the same voucher (its token's code) or the same key. */
const codeOf = (m: Member): string => parseToken(m.body.token)?.code ?? `malformed:${m.body.token}`;

function problemAnswer(problem: HttpProblem): Answer {
  return { status: problem.status, body: problem.toJSON() };
}

export class RedemptionBatcher {
  private waiting: Member[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private drained: (() => void)[] = [];

  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly service: RedemptionsService,
    private readonly options: RedemptionBatchingOptions,
  ) {
    assertBatchingOptions('redemption batching', options);
  }

  redeem(actor: Actor, merchantId: string, key: string, body: RedeemRequest): Promise<StoredAnswer> {
    if (this.waiting.length >= this.options.queueMax) {
      throw new HttpProblem('OVERLOADED', `More than ${this.options.queueMax} redemptions are waiting`, {
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
    }
    return new Promise<StoredAnswer>((resolve, reject) => {
      this.waiting.push({ actor, merchantId, key, body, fingerprint: fingerprintOf(requestOf(body)), resolve, reject });
      this.schedule();
    });
  }

  /** Flushes the queue and resolves when no batch is waiting or in flight (graceful shutdown). */
  flushAll(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.inFlight === 0 && this.waiting.length === 0) return resolve();
      this.drained.push(resolve);
      this.flush();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.options.inFlightMax) return; // a batch in flight schedules again when it ends
    if (this.waiting.length >= this.options.batchMax) return this.flush();
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.waitMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight < this.options.inFlightMax && this.waiting.length > 0) {
      const batch = this.take();
      this.inFlight++;
      metrics.redemptionBatchSize.observe(batch.length);
      this.run(batch).catch((err: unknown) => {
        for (const m of batch) m.reject(err);
      }).finally(() => {
        this.inFlight--;
        if (this.waiting.length > 0) {
          if (this.drained.length > 0) this.flush();
          else this.schedule();
        }
        if (this.inFlight === 0 && this.waiting.length === 0) for (const resolve of this.drained.splice(0)) resolve();
      });
      if (this.waiting.length < this.options.batchMax && this.drained.length === 0) break; // let the rest gather
    }
  }

  /** Up to batchMax members, at most one per voucher code and per key, oldest first; the rest keep their places. */
  private take(): Member[] {
    const { batch, rest } = takeBatch(this.waiting, this.options.batchMax, (m) => [`code:${codeOf(m)}`, `key:${keyRefId(refOf(m))}`]);
    this.waiting = rest;
    return batch;
  }

  private async run(batch: Member[]): Promise<void> {
    let result: { answers: [Member, Answer][]; singly: Member[] };
    try {
      result = await this.db.transaction((tx) => this.batchTransaction(tx, batch));
    } catch {
      // raced (BatchRaced) or a database fault: every member retries singly, where each gets its own verdict
      await this.singly(batch);
      return;
    }
    for (const [m, answer] of result.answers) m.resolve({ status: answer.status, body: answer.body, replayed: false });
    await this.singly(result.singly);
  }

  private async singly(members: Member[]): Promise<void> {
    await Promise.all(members.map((m) => this.service.redeemSingly(m.actor, m.key, m.body).then(m.resolve, m.reject)));
  }

  /** The batch's one transaction: every member's answer is decided and stored here, or deferred to the single path. */
  private async batchTransaction(tx: Queryable, batch: Member[]): Promise<{ answers: [Member, Answer][]; singly: Member[] }> {
    const now = this.clock.now();
    const claimed = await claimKeys(tx, batch.map((m) => ({ scope: merchantScope(m.merchantId), key: m.key, fingerprint: m.fingerprint })), now);
    const fresh = batch.filter((m) => claimed.has(keyRefId(refOf(m))));
    const singly = batch.filter((m) => !claimed.has(keyRefId(refOf(m))));
    const answers = new Map<Member, Answer>();
    const parsed = fresh.map((m) => parseToken(m.body.token));
    const toRead = fresh.flatMap((m, i) => {
      const p = parsed[i];
      return p ? [{ m, req: { code: p.code, merchantId: m.merchantId, tokenStep: p.mode === 'dynamic' ? p.step : null } }] : [];
    });
    const facts = await repo.redemptionFactsMany(tx, toRead.map((x) => x.req));
    const factsOf = new Map(toRead.map((x, i) => [x.m, facts[i] ?? null]));
    const moves: { m: Member; e: Evaluation; id: string }[] = [];
    for (const m of fresh) {
      try {
        if (!factsOf.has(m)) throw new HttpProblem('TOKEN_MALFORMED');
        const e = await this.service.check(factsOf.get(m) as repo.RedemptionFacts | null, m.merchantId, m.body, now);
        const remainder = e.singleUse && e.discountFen !== e.ctx.balance_fen;
        if (e.ctx.redemption_mode !== 'direct' || remainder) singly.push(m);
        else moves.push({ m, e, id: timeOrderedId() });
      } catch (err) {
        if (!(err instanceof HttpProblem) || err.status >= 500) throw err;
        answers.set(m, problemAnswer(err));
      }
    }
    if (moves.length > 0) {
      const after = await ledger.redeemMany(tx, moves.map(({ m, e, id }) => movementOf(e, id, m.merchantId, now)));
      if (!after) throw new BatchRaced('a voucher refused its movement');
      const rows = await repo.insertRedemptions(tx, moves.map(({ m, e, id }) =>
        newRedemption(e, id, m.actor, m.merchantId, m.body, now, (after.get(e.ctx.voucher_id) as { balanceFen: number }).balanceFen)));
      if (rows.length !== moves.length) throw new BatchRaced('a token step was used meanwhile');
      const rowById = new Map(rows.map((r) => [r.id, r]));
      for (const { m, e, id } of moves) answers.set(m, answerOf(rowById.get(id) as repo.RedemptionRow, e));
    }
    const answered = fresh.filter((m) => answers.has(m));
    const deferred = fresh.filter((m) => !answers.has(m));
    const stored = await finishKeys(tx, answered.map((m) => {
      const answer = answers.get(m) as Answer;
      return { scope: merchantScope(m.merchantId), key: m.key, fingerprint: m.fingerprint, status: answer.status, body: answer.body };
    }), deferred.map(refOf));
    if (stored !== fresh.length) throw new Error(`assertion: stored ${stored} of ${fresh.length} claimed keys`);
    return { answers: answered.map((m) => [m, answers.get(m) as Answer]), singly };
  }
}
