import type { JobDefinition } from '../platform/jobs';
import type { GrantsService } from '../capabilities/grants';

/** Issues the vouchers of pending auto-grant rows (免申即享), ≤ 500 rows per transaction, oldest batch first. */
export function grantsJob(grants: GrantsService): JobDefinition {
  return {
    name: 'grants',
    schedule: '* * * * *',
    description: 'auto-grant (免申即享): issue vouchers for pending grant rows',
    async run() {
      const r = await grants.processPending();
      return { rows: r.rows, detail: { ...r } };
    },
  };
}
