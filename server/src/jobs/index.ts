/** Every scheduled job, registered on the runner; each file holds one job and calls one capability. */
import type { JobRunner } from '../platform/jobs';
import type { Services } from '../app/create-app';
import { poolScheduleJob } from './pool-schedule.job';

export function registerJobs(runner: JobRunner, services: Services): void {
  runner.register(poolScheduleJob(services.pools));
}
