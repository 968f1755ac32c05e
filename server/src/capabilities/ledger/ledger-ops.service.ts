/**
 * The ledger's own operations that run outside a request's transaction: the reconciler and
 * the expiry of vouchers past their validity (in batches, each its own transaction).
 */
import type { ReconcileReport } from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db } from '../../platform/db';
import { reconcile, type ReconcileOptions } from './reconcile';
import { expireDueVouchers } from './ledger.service';

export const EXPIRY_BATCH_MAX = 500;
/** bounds one run: 200 × 500 = 100,000 vouchers; the next run continues */
export const EXPIRY_BATCHES_PER_RUN_MAX = 200;

export class LedgerOpsService {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    return reconcile(this.db, this.clock, options);
  }

  /** Expires every voucher past valid_until with no pending hold; its balance goes back to the pool. */
  async expireDueVouchers(batchMax = EXPIRY_BATCH_MAX): Promise<{ expired: number; releasedFen: number; batches: number }> {
    const now = this.clock.now();
    const total = { expired: 0, releasedFen: 0, batches: 0 };
    while (total.batches < EXPIRY_BATCHES_PER_RUN_MAX) {
      const batch = await this.db.transaction((tx) => expireDueVouchers(tx, now, batchMax));
      total.batches++;
      total.expired += batch.expired;
      total.releasedFen += batch.releasedFen;
      if (batch.expired < batchMax) break;
    }
    return total;
  }
}
