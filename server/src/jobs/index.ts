/** Every scheduled job, registered on the runner; each file holds one job and calls one capability. */
import type { JobRunner } from '../platform/jobs';
import type { Services } from '../app/create-app';
import { poolScheduleJob } from './pool-schedule.job';
import { grantsJob } from './grants.job';
import { voucherExpiryJob } from './voucher-expiry.job';
import { holdVoidJob } from './hold-void.job';
import { lotteryDrawJob } from './lottery-draw.job';

export function registerJobs(runner: JobRunner, services: Services): void {
  runner.register(poolScheduleJob(services.pools));
  runner.register(grantsJob(services.grants));
  runner.register(voucherExpiryJob(services.ledgerOps));
  runner.register(holdVoidJob(services.redemptions));
  runner.register(lotteryDrawJob(services.lottery));
}
