/**
 * The journal movement of settlement: when a batch is paid, what it paid moves from the
 * merchant's `spent` (its payable) to `settled`, one journal transaction per pool. A pool's
 * spent (spent + settled) does not change, so budget = available + reserved + spent still
 * holds; the merchant's payable (Σ spent) drops by the amount paid. A batch whose reversals
 * outweigh its redemptions moves the other way (the merchant paid back).
 */
import type { Queryable } from '../../platform/db';
import { post } from './ledger.service';
import type { JournalTxn } from './ledger.types';

export interface SettledPoolAmount {
  poolId: string;
  /** signed: what the batch paid for this pool's redemptions, net of reversals */
  amountFen: number;
}

export interface SettledBatch {
  batchId: string;
  merchantId: string;
  at: Date;
  pools: SettledPoolAmount[];
}

/** Posts spent(merchant) → settled(merchant) for each pool of a paid batch, in the caller's transaction. */
export async function settleBatch(tx: Queryable, batch: SettledBatch): Promise<{ settledFen: number }> {
  const seen = new Set<string>();
  const txns: JournalTxn[] = [];
  let settledFen = 0;
  for (const p of batch.pools) {
    if (!Number.isSafeInteger(p.amountFen)) throw new Error(`assertion: bad settled amount ${p.amountFen}`);
    if (seen.has(p.poolId)) throw new Error(`assertion: pool ${p.poolId} listed twice in batch ${batch.batchId}`);
    seen.add(p.poolId);
    settledFen += p.amountFen;
    if (p.amountFen === 0) continue;
    txns.push({ kind: 'settle', poolId: p.poolId, refType: 'settlement', refId: batch.batchId, at: batch.at, entries: [
      { account: 'spent', amountFen: -p.amountFen, merchantId: batch.merchantId },
      { account: 'settled', amountFen: p.amountFen, merchantId: batch.merchantId },
    ] });
  }
  await post(tx, txns);
  return { settledFen };
}
