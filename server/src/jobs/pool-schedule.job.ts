import type { JobDefinition } from '../platform/jobs';
import type { PoolsService } from '../capabilities/pools';

/** Opens scheduled pools whose claim window has begun and closes those whose window ended. */
export function poolScheduleJob(pools: PoolsService): JobDefinition {
  return {
    name: 'pool-schedule',
    schedule: '* * * * *',
    description: 'open and close pools on their claim windows',
    async run() {
      const r = await pools.applySchedule();
      return { rows: r.opened + r.closed, detail: r };
    },
  };
}
