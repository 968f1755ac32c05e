/**
 * The settings every request batcher shares (the claim batcher, ADR 0003; the redemption
 * batcher, ADR 0006): how many requests fold into one transaction, how long the first one
 * waits for company, how many may wait, and how many batches run at once.
 */
export interface BatchingOptions {
  enabled: boolean;
  /** most members folded into one transaction */
  batchMax: number;
  /** how long the first request on an idle queue waits for company */
  waitMs: number;
  /** most requests waiting (per queue, in this process); more answer 503 OVERLOADED */
  queueMax: number;
  /** batches of one queue in flight at once */
  inFlightMax: number;
}

/** Batching off: every request is its own transaction. */
export const BATCHING_OFF: Readonly<BatchingOptions> = Object.freeze({ enabled: false, batchMax: 1, waitMs: 0, queueMax: 1, inFlightMax: 1 });

/**
 * The next batch of a queue: up to `batchMax` members, oldest first, no two sharing a key
 * (`keysOf`: what makes two members collide in one transaction, e.g. the same holder); the
 * others keep their places, in order, for the next batch.
 */
export function takeBatch<M>(waiting: readonly M[], batchMax: number, keysOf: (m: M) => readonly string[]): { batch: M[]; rest: M[] } {
  const batch: M[] = [];
  const rest: M[] = [];
  const seen = new Set<string>();
  for (const m of waiting) {
    const keys = keysOf(m);
    if (batch.length < batchMax && keys.every((k) => !seen.has(k))) {
      for (const k of keys) seen.add(k);
      batch.push(m);
    } else rest.push(m);
  }
  return { batch, rest };
}

export function assertBatchingOptions(name: string, options: BatchingOptions): void {
  if (options.batchMax < 1 || options.queueMax < options.batchMax || options.inFlightMax < 1) {
    throw new Error(`assertion: ${name} options out of range ${JSON.stringify(options)}`);
  }
}
