/** Every scheduled job, registered on the runner; each file holds one job and calls one capability. */
import type { JobRunner } from '../platform/jobs';
import type { AppDeps, Services } from '../app/create-app';
import { poolScheduleJob } from './pool-schedule.job';
import { grantsJob } from './grants.job';
import { voucherExpiryJob } from './voucher-expiry.job';
import { holdVoidJob } from './hold-void.job';
import { lotteryDrawJob } from './lottery-draw.job';
import { idempotencyRetentionJob } from './idempotency-retention.job';
import { reconcileJob } from './reconcile.job';
import { settlementJob } from './settlement.job';
import { reportRollupsJob } from './report-rollups.job';
import { partitionsJob } from './partitions.job';
import { jobRunsRetentionJob } from './job-runs-retention.job';

export function registerJobs(runner: JobRunner, services: Services, deps: Pick<AppDeps, 'db' | 'clock' | 'config'>): void {
  runner.register(poolScheduleJob(services.pools));
  runner.register(grantsJob(services.grants));
  runner.register(voucherExpiryJob(services.ledgerOps));
  runner.register(holdVoidJob(services.redemptions));
  runner.register(lotteryDrawJob(services.lottery));
  runner.register(idempotencyRetentionJob(deps.db, deps.clock));
  runner.register(reconcileJob(deps.db, deps.clock));
  runner.register(settlementJob(services.settlement));
  runner.register(reportRollupsJob(services.reports));
  runner.register(partitionsJob(deps.db, deps.clock, deps.config.partitionMonthsAhead));
  runner.register(jobRunsRetentionJob(deps.db, deps.clock, deps.config.jobRunsRetentionDays));
}
