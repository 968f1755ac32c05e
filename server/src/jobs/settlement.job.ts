import type { JobDefinition } from '../platform/jobs';
import type { SettlementService } from '../capabilities/settlement';

/** Daily at 00:30 Asia/Shanghai: settlement batches of everything posted before 00:00, per issuer × merchant (× funder). */
export function settlementJob(settlement: SettlementService): JobDefinition {
  return {
    name: 'settlement',
    schedule: '30 0 * * *',
    description: 'daily settlement batches (cut-off 00:00): every unsettled redemption and reversal, once',
    async run() {
      const r = await settlement.runDaily();
      return { rows: r.lines, detail: { ...r } };
    },
  };
}
