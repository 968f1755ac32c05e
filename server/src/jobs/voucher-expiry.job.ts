import type { JobDefinition } from '../platform/jobs';
import type { LedgerOpsService } from '../capabilities/ledger';

/** Expires vouchers past valid_until with no pending hold; each remaining balance returns to its pool's available. */
export function voucherExpiryJob(ops: LedgerOpsService): JobDefinition {
  return {
    name: 'voucher-expiry',
    schedule: '*/10 * * * *',
    description: 'expire vouchers past their validity and release their balance to the pool (batches of 500)',
    async run() {
      const r = await ops.expireDueVouchers();
      return { rows: r.expired, detail: r };
    },
  };
}
