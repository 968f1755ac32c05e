/**
 * Owns the batching of lottery entries (摇号报名), as the claim batcher does for claims
 * (ADR 0003). An entry on its own is one statement and one commit; a round of 21 million
 * entries arrives in a storm, and on two cores the commits and round trips, not the SQL, are
 * the limit (docs/BENCHMARKS.md). Here concurrent entries to one pool round wait in one queue,
 * flushed after `waitMs` or at `batchMax` members, and go in with ONE statement
 * (repo.enterMany) and one commit.
 *
 * Guarantees:
 * - the statement gives each member what enterOnce would: its earlier entry, LIMIT_REACHED,
 *   or its new entry; a member it gives nothing (the pool closed or the round sealed
 *   meanwhile, a concurrent duplicate from another process, a failed statement) answers
 *   through the careful path, one check at a time, like a single entry that found no row;
 * - a batch holds at most one member per holder (a repeat waits for the next batch, where it
 *   finds the entry the first made);
 * - each queue holds at most `queueMax` requests; more answer 503 OVERLOADED with Retry-After.
 *
 * Entries need no Idempotency-Key: a holder has one entry per round, and a repeat returns it.
 */
import { assertBatchingOptions, takeBatch, type BatchingOptions } from '../../platform/batching';
import type { Clock } from '../../platform/clock';
import type { Db } from '../../platform/db';
import { metrics } from '../../platform/metrics';
import { HttpProblem } from '../../app/problem';
import type { PoolRow } from '../pools';
import * as repo from './lottery.repository';
import type { EntryRow, NewEntry } from './lottery.repository';

const RETRY_AFTER_SECONDS = 1;

/** What a member gets: its entry, or null for "answer through the careful path". */
export type BatchedEntry = { created: boolean; entry: EntryRow } | null;

interface Member {
  entry: NewEntry;
  resolve(result: BatchedEntry): void;
  reject(err: unknown): void;
}

/** The queue of one pool round. */
class RoundQueue {
  waiting: Member[] = [];
  inFlight = 0;
  timer: NodeJS.Timeout | null = null;

  constructor(readonly poolId: string, readonly round: number) {}
}

export class EntryBatcher {
  private readonly queues = new Map<string, RoundQueue>();
  private drained: (() => void)[] = [];

  constructor(private readonly db: Db, private readonly clock: Clock, private readonly options: BatchingOptions) {
    assertBatchingOptions('lottery entry batching', options);
  }

  /** Queues an entry the caller has checked (pool open, holder eligible); `entry` carries its id and draw key. */
  enter(pool: PoolRow, entry: NewEntry): Promise<BatchedEntry> {
    const id = `${pool.id}:${entry.round}`;
    let queue = this.queues.get(id);
    if (!queue) this.queues.set(id, queue = new RoundQueue(pool.id, entry.round));
    if (queue.waiting.length >= this.options.queueMax) {
      throw new HttpProblem('OVERLOADED', `More than ${this.options.queueMax} lottery entries are waiting`, {
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
    }
    const q = queue;
    return new Promise<BatchedEntry>((resolve, reject) => {
      q.waiting.push({ entry, resolve, reject });
      this.schedule(q);
    });
  }

  /** Flushes every queue and resolves when nothing waits or is in flight (graceful shutdown). */
  flushAll(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.idle()) return resolve();
      this.drained.push(resolve);
      for (const q of this.queues.values()) this.flush(q);
    });
  }

  private idle(): boolean {
    for (const q of this.queues.values()) if (q.inFlight > 0 || q.waiting.length > 0) return false;
    return true;
  }

  private schedule(q: RoundQueue): void {
    if (q.inFlight >= this.options.inFlightMax) return; // the batch in flight schedules again when it ends
    if (q.waiting.length >= this.options.batchMax) return this.flush(q);
    if (!q.timer) q.timer = setTimeout(() => this.flush(q), this.options.waitMs);
  }

  private flush(q: RoundQueue): void {
    if (q.timer) clearTimeout(q.timer);
    q.timer = null;
    while (q.inFlight < this.options.inFlightMax && q.waiting.length > 0) {
      const batch = this.take(q);
      q.inFlight++;
      metrics.lotteryEntryBatchSize.observe(batch.length);
      this.run(q, batch).catch((err: unknown) => {
        for (const m of batch) m.reject(err); // members already answered keep their answer
      }).finally(() => {
        q.inFlight--;
        if (q.waiting.length > 0) {
          if (this.drained.length > 0) this.flush(q);
          else this.schedule(q);
        } else if (q.inFlight === 0) this.queues.delete(`${q.poolId}:${q.round}`);
        if (this.idle()) for (const resolve of this.drained.splice(0)) resolve();
      });
      if (q.waiting.length < this.options.batchMax && this.drained.length === 0) break; // let the rest gather
    }
  }

  /** Up to batchMax members, at most one per holder, oldest first; the rest keep their places. */
  private take(q: RoundQueue): Member[] {
    const { batch, rest } = takeBatch(q.waiting, this.options.batchMax, (m) => [m.entry.holderId]);
    q.waiting = rest;
    return batch;
  }

  private async run(q: RoundQueue, batch: Member[]): Promise<void> {
    let found: Awaited<ReturnType<typeof repo.enterMany>>;
    try {
      found = await repo.enterMany(this.db, q.poolId, q.round, batch.map((m) => m.entry), this.clock.now());
    } catch {
      // a sealed round's guard refused the statement, or a database fault: each member answers carefully
      for (const m of batch) m.resolve(null);
      return;
    }
    for (const m of batch) {
      const r = found.get(m.entry.holderId);
      if (!r) m.resolve(null);
      else if (r.outcome === 'maxed') m.reject(new HttpProblem('LIMIT_REACHED'));
      else m.resolve({ created: r.outcome === 'created', entry: r.entry as EntryRow });
    }
  }
}
