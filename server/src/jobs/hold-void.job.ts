import type { JobDefinition } from '../platform/jobs';
import type { RedemptionsService } from '../capabilities/redemptions';

/** Voids B2B redemptions left unconfirmed for 72 hours: each hold returns to its voucher. */
export function holdVoidJob(redemptions: RedemptionsService): JobDefinition {
  return {
    name: 'hold-void',
    schedule: '*/5 * * * *',
    description: 'void B2B holds pending for more than 72 hours (batches of 500)',
    async run() {
      const r = await redemptions.voidStaleHolds();
      return { rows: r.voided, detail: r };
    },
  };
}
