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

export function assertBatchingOptions(name: string, options: BatchingOptions): void {
  if (options.batchMax < 1 || options.queueMax < options.batchMax || options.inFlightMax < 1) {
    throw new Error(`assertion: ${name} options out of range ${JSON.stringify(options)}`);
  }
}
