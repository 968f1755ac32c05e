/**
 * The operations jobs and the job runner's scale-out details: idempotency keys older than
 * seven days are purged in bounded batches; job runs older than JOB_RUNS_RETENTION_DAYS too,
 * each job keeping its latest runs; the nightly reconcile records its differences;
 * a scheduled slot is named by node-cron's planned time (the same on every instance);
 * JOBS_SCHEDULE_OVERRIDE replaces schedules.
 */
import { startHarness, type Harness } from '../helpers/harness';
import { sql } from '../../server/src/platform/db';
import { slotOf } from '../../server/src/platform/jobs';
import { purgeIdempotencyKeys } from '../../server/src/jobs/idempotency-retention.job';
import { purgeJobRuns } from '../../server/src/jobs/job-runs-retention.job';

const DAY_MS = 86_400_000;

async function insertKeys(h: Harness, n: number, ageMs: number, prefix: string): Promise<void> {
  const at = new Date(h.clock.now().getTime() - ageMs).toISOString();
  for (let i = 0; i < n; i++) {
    await h.db.query(sql`INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at)
      VALUES ('test:retention', ${`${prefix}-key-${String(i).padStart(4, '0')}`}, ${'f'.repeat(64)}, 201, '{}'::jsonb, ${at})`);
  }
}

async function insertRuns(h: Harness, job: string, statuses: string[], ageDays: number): Promise<void> {
  const at = new Date(h.clock.now().getTime() - ageDays * DAY_MS).toISOString();
  for (const status of statuses) {
    await h.db.query(sql`INSERT INTO job_runs (job, trigger, instance, started_at, finished_at, status)
      VALUES (${job}, 'manual', 'test', ${at}, ${status === 'running' ? null : at}, ${status})`);
  }
}

async function runsLeft(h: Harness, job: string): Promise<string[]> {
  const rows = await h.db.query<{ status: string; age: number }>(sql`
    SELECT status, round(extract(epoch FROM (${h.clock.now().toISOString()}::timestamptz - started_at)) / 86400)::int AS age
    FROM job_runs WHERE job = ${job} ORDER BY id`);
  return rows.map((r) => `${r.status}@${r.age}d`);
}

async function keysLeft(h: Harness): Promise<string[]> {
  const rows = await h.db.query<{ key: string }>(sql`SELECT key FROM idempotency_keys WHERE scope = 'test:retention' ORDER BY key`);
  return rows.map((r) => r.key);
}

describe('operations jobs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { JOBS_SCHEDULE_OVERRIDE: 'hold-void=*/10 * * * * *;*=0 4 * * *' } });
  });
  afterAll(async () => {
    await h.close();
  });

  test('when keys are older than 7 days, then the retention job deletes them and keeps the younger ones', async () => {
    await insertKeys(h, 7, 8 * DAY_MS, 'old');
    await insertKeys(h, 3, 6 * DAY_MS, 'young');
    const run = await h.services.jobs.run('idempotency-retention');
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(7);
    expect(await keysLeft(h)).toEqual(['young-key-0000', 'young-key-0001', 'young-key-0002']);
  });

  test('when more keys are due than one batch, then they go in batches of at most the batch size', async () => {
    await insertKeys(h, 12, 30 * DAY_MS, 'older');
    const r = await purgeIdempotencyKeys(h.db, new Date(h.clock.now().getTime() - 7 * DAY_MS), 5);
    expect(r).toEqual({ deleted: 12, batches: 3 });
    expect(await keysLeft(h)).toHaveLength(3);
    await expect(purgeIdempotencyKeys(h.db, new Date(), 5_001)).rejects.toThrow(/assertion/);
  });

  test('when job runs are older than the retention (90 days), then they are deleted, and each job keeps its latest run, finished run and success', async () => {
    await insertRuns(h, 'test-a', ['succeeded', 'failed', 'succeeded', 'failed', 'skipped'], 120);
    await insertRuns(h, 'test-a', ['skipped'], 10);
    await insertRuns(h, 'test-b', ['succeeded', 'succeeded'], 100);
    await insertRuns(h, 'test-c', ['skipped', 'skipped'], 91);
    await insertRuns(h, 'test-c', ['succeeded'], 89);
    const run = await h.services.jobs.run('job-runs-retention');
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(6);
    // test-a: its last success and last finished run (a failure) stay, as does the young skip
    expect(await runsLeft(h, 'test-a')).toEqual(['succeeded@120d', 'failed@120d', 'skipped@10d']);
    expect(await runsLeft(h, 'test-b')).toEqual(['succeeded@100d']);
    expect(await runsLeft(h, 'test-c')).toEqual(['succeeded@89d']);
    // nothing else is old enough; a second run deletes nothing
    expect((await h.services.jobs.run('job-runs-retention')).rows).toBe(0);
  });

  test('when more job runs are due than one batch, then they go in batches of at most the batch size', async () => {
    await insertRuns(h, 'test-d', Array.from({ length: 12 }, () => 'succeeded'), 200);
    const r = await purgeJobRuns(h.db, new Date(h.clock.now().getTime() - 90 * DAY_MS), 5);
    expect(r).toEqual({ deleted: 11, batches: 3 });
    expect(await runsLeft(h, 'test-d')).toEqual(['succeeded@200d']);
    await expect(purgeJobRuns(h.db, new Date(), 5_001)).rejects.toThrow(/assertion/);
  });

  test('when the reconcile job runs on a consistent ledger, then it succeeds with zero differences', async () => {
    const run = await h.services.jobs.run('reconcile');
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(0);
    expect(run.detail).toMatchObject({ ok: true, differences: [] });
  });

  test('when JOBS_SCHEDULE_OVERRIDE is set, then a named job takes its override, the others the "*" one', () => {
    const byName = Object.fromEntries(h.services.jobs.list().map((j) => [j.name, h.services.jobs.scheduleOf(j)]));
    expect(byName['hold-void']).toBe('*/10 * * * * *');
    expect(byName['idempotency-retention']).toBe('0 4 * * *');
    expect(byName['reconcile']).toBe('0 4 * * *');
  });

  test('when a slot is named, then it is the planned minute (or second, for 6-field schedules), whatever the firing delay', () => {
    const planned = new Date('2026-11-27T03:40:00.000Z');
    expect(slotOf(planned, '40 3 * * *')).toBe('2026-11-27T03:40');
    expect(slotOf(new Date('2026-11-27T03:40:10.000Z'), '*/10 * * * * *')).toBe('2026-11-27T03:40:10');
  });
});
