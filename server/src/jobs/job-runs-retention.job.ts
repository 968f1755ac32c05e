import type { JobDefinition } from '../platform/jobs';
import type { Clock } from '../platform/clock';
import { deleteInBatches, sql, type Db } from '../platform/db';

export const JOB_RUNS_PURGE_BATCH_MAX = 5_000;
/** bounds one run: 200 × 5,000 = 1,000,000 runs; the next run continues */
export const JOB_RUNS_PURGE_BATCHES_PER_RUN_MAX = 200;
const DAY_MS = 86_400_000;

/**
 * Deletes job runs started before `before`, oldest first, in short batches (each its own
 * statement). Each job keeps its latest run, its latest finished run and its latest success
 * however old, since GET /admin/jobs and the job metrics (last failure, last success) read them.
 */
export async function purgeJobRuns(
  db: Db, before: Date, batchMax = JOB_RUNS_PURGE_BATCH_MAX,
): Promise<{ deleted: number; batches: number }> {
  if (!Number.isSafeInteger(batchMax) || batchMax < 1 || batchMax > JOB_RUNS_PURGE_BATCH_MAX) throw new Error(`assertion: bad batch size ${batchMax}`);
  const kept = await db.query<{ id: number }>(sql`
    SELECT DISTINCT k.id FROM (
      SELECT max(id) AS last, max(id) FILTER (WHERE status IN ('succeeded', 'failed')) AS finished,
             max(id) FILTER (WHERE status = 'succeeded') AS succeeded
      FROM job_runs GROUP BY job) j
    CROSS JOIN LATERAL (VALUES (j.last), (j.finished), (j.succeeded)) AS k (id)
    WHERE k.id IS NOT NULL`);
  const keep = sql.param(kept.map((r) => r.id));
  return deleteInBatches(batchMax, JOB_RUNS_PURGE_BATCHES_PER_RUN_MAX, async () => {
    const rows = await db.query<{ n: number }>(sql`
      WITH old AS (
        SELECT id FROM job_runs WHERE started_at < ${before.toISOString()} AND id <> ALL(${keep}::bigint[])
        ORDER BY id LIMIT ${batchMax}
      ), gone AS (
        DELETE FROM job_runs j USING old WHERE j.id = old.id RETURNING 1
      )
      SELECT count(*)::int AS n FROM gone`);
    return rows[0]?.n ?? 0;
  });
}

export function jobRunsRetentionJob(db: Db, clock: Clock, retentionDays: number): JobDefinition {
  return {
    name: 'job-runs-retention',
    schedule: '50 3 * * *',
    description: `delete job runs older than ${retentionDays} days, keeping each job's latest run, finished run and success`,
    async run() {
      const before = new Date(clock.now().getTime() - retentionDays * DAY_MS);
      const r = await purgeJobRuns(db, before);
      return { rows: r.deleted, detail: { ...r, before: before.toISOString() } };
    },
  };
}
