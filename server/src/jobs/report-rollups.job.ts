import type { JobDefinition } from '../platform/jobs';
import type { ReportsService } from '../capabilities/reports';

/** Rolls each closed Asia/Shanghai day up into report_daily (a no-op until the next day closes). */
export function reportRollupsJob(reports: ReportsService): JobDefinition {
  return {
    name: 'report-rollups',
    schedule: '*/15 * * * *',
    description: 'rebuild the daily report rollup of each closed day (one transaction per day)',
    async run() {
      const r = await reports.rollUp();
      return { rows: r.days, detail: { ...r } };
    },
  };
}
