/**
 * Owns background jobs: node-cron schedules in Asia/Shanghai, a job-run table, and mutual
 * exclusion. On a PostgreSQL server a job holds an advisory lock (two instances never run
 * the same job at once) and a scheduled slot is claimed by a unique row (it runs once per
 * schedule across instances). On embedded PGlite one process owns the database, so a
 * process-level guard suffices. Each job's steps are idempotent: re-running changes nothing.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import { BUSINESS_TIME_ZONE } from '@hqt/shared';
import type { Clock } from './clock';
import { sql, type Db } from './db';
import type { Logger } from './logger';
import { metrics } from './metrics';

export interface JobResult {
  rows: number;
  detail?: Record<string, unknown>;
}

export interface JobDefinition {
  name: string;
  /** cron expression in Asia/Shanghai time */
  schedule: string;
  description: string;
  run(): Promise<JobResult>;
}

export interface JobRun {
  id: number;
  job: string;
  slot: string | null;
  trigger: 'schedule' | 'manual';
  instance: string;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  rows: number;
  detail: Record<string, unknown>;
  error: string | null;
}

export interface JobRunnerOptions {
  /** job name (or '*') → cron expression used instead of the job's own (JOBS_SCHEDULE_OVERRIDE) */
  scheduleOverride?: Readonly<Record<string, string>>;
}

/** A run this late (event-loop stalls under load) still runs; its slot row keeps it once. */
const MISSED_TOLERANCE_MS = 30_000;
/** jobs running at once in one process (each holds a connection for its lock; see `acquire`) */
const JOBS_AT_ONCE = 2;

/**
 * The slot a scheduled run serves: node-cron's planned time (the same on every instance,
 * unlike the moment the timer fired), to the minute, or to the second for 6-field schedules.
 */
export function slotOf(planned: Date, schedule: string): string {
  const withSeconds = schedule.trim().split(/\s+/).length === 6;
  return planned.toISOString().slice(0, withSeconds ? 19 : 16);
}

function lockKey(job: string): number {
  return createHash('sha256').update(`hqt-job:${job}`).digest().readInt32BE(0);
}

export class JobRunner {
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly running = new Set<string>();
  private readonly tasks: ScheduledTask[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  readonly instance = `${os.hostname()}:${process.pid}`;

  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly logger: Logger,
    private readonly options: JobRunnerOptions = {},
  ) {}

  /** The schedule a job runs on here: its own, unless overridden. */
  scheduleOf(job: JobDefinition): string {
    const override = this.options.scheduleOverride;
    return override?.[job.name] ?? override?.['*'] ?? job.schedule;
  }

  register(job: JobDefinition): void {
    if (this.jobs.has(job.name)) throw new Error(`assertion: job ${job.name} registered twice`);
    this.jobs.set(job.name, job);
  }

  list(): JobDefinition[] {
    return [...this.jobs.values()];
  }

  has(name: string): boolean {
    return this.jobs.has(name);
  }

  /** Starts the cron schedules. */
  start(): void {
    for (const job of this.jobs.values()) {
      const schedule = this.scheduleOf(job);
      const task = cron.schedule(schedule, (ctx) => {
        const slot = slotOf(ctx?.date ?? this.clock.now(), schedule);
        const run = this.run(job.name, 'schedule', slot).catch((err: unknown) => this.logger.error({ err, job: job.name }, 'job crashed'));
        this.inFlight.add(run);
        void run.finally(() => this.inFlight.delete(run));
      }, { timezone: BUSINESS_TIME_ZONE, name: job.name, noOverlap: true, missedExecutionTolerance: MISSED_TOLERANCE_MS });
      this.tasks.push(task);
    }
  }

  /** Resolves when no scheduled run is in progress here (shutdown waits on it, bounded). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    this.tasks.length = 0;
  }

  /** Runs a job now (or for a schedule slot); returns its run record. */
  async run(name: string, trigger: 'schedule' | 'manual' = 'manual', slot: string | null = null): Promise<JobRun> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`unknown job ${name}`);
    if (this.running.has(name)) return this.record(name, trigger, slot, 'skipped', 0, { reason: 'already running here' }, null);
    this.running.add(name);
    await this.acquire();
    try {
      // Embedded PGlite is owned by this one process (PID lock), so the guard above suffices;
      // its single connection could not be held for the lock while the job queries anyway.
      if (this.db.kind === 'pglite') return await this.execute(job, trigger, slot);
      return await this.db.withConnection(async (conn) => {
        const [lock] = await conn.query<{ ok: boolean }>(sql`SELECT pg_try_advisory_lock(${lockKey(name)}) AS ok`);
        if (!lock?.ok) return this.record(name, trigger, slot, 'skipped', 0, { reason: 'running on another instance' }, null);
        try {
          return await this.execute(job, trigger, slot);
        } finally {
          await conn.query(sql`SELECT pg_advisory_unlock(${lockKey(name)})`);
        }
      });
    } finally {
      this.release();
      this.running.delete(name);
    }
  }

  /**
   * At most JOBS_AT_ONCE jobs run at once in this process. A job on PostgreSQL holds one pool
   * connection for its advisory lock and takes others for its work; when every job's schedule
   * fires in the same second (JOBS_SCHEDULE_OVERRIDE, or several daily jobs), unbounded
   * they took the whole pool for their locks and then timed out waiting for a connection.
   */
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  private async acquire(): Promise<void> {
    if (this.active < JOBS_AT_ONCE) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve)); // release() hands its place over
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }

  private async execute(job: JobDefinition, trigger: 'schedule' | 'manual', slot: string | null): Promise<JobRun> {
    const started = this.clock.now();
    const claimed = await this.db.query<{ id: number }>(sql`
      INSERT INTO job_runs (job, slot, trigger, instance, started_at, status)
      VALUES (${job.name}, ${slot}, ${trigger}, ${this.instance}, ${started.toISOString()}, 'running')
      ON CONFLICT DO NOTHING RETURNING id`);
    const runId = claimed[0]?.id;
    if (runId === undefined) return this.record(job.name, trigger, null, 'skipped', 0, { reason: `slot ${slot} already ran` }, null);
    const t0 = performance.now();
    try {
      const result = await job.run();
      await this.finish(runId, 'succeeded', result.rows, { ...result.detail, ms: Math.round(performance.now() - t0) }, null);
      metrics.observeJob(job.name, 'succeeded', (performance.now() - t0) / 1000);
      this.logger.info({ job: job.name, rows: result.rows }, 'job succeeded');
    } catch (err) {
      await this.finish(runId, 'failed', 0, { ms: Math.round(performance.now() - t0) }, (err as Error).message.slice(0, 4000));
      metrics.observeJob(job.name, 'failed', (performance.now() - t0) / 1000);
      this.logger.error({ err, job: job.name }, 'job failed');
    }
    return (await this.runs(job.name, 1, runId))[0] as JobRun;
  }

  private async finish(id: number, status: string, rows: number, detail: Record<string, unknown>, error: string | null): Promise<void> {
    await this.db.query(sql`UPDATE job_runs SET status = ${status}, rows = ${rows}, detail = ${JSON.stringify(detail)}::jsonb,
      error = ${error}, finished_at = ${this.clock.now().toISOString()} WHERE id = ${id}`);
  }

  private async record(job: string, trigger: string, slot: string | null, status: string, rows: number, detail: Record<string, unknown>, error: string | null): Promise<JobRun> {
    const now = this.clock.now().toISOString();
    const [row] = await this.db.query<{ id: number }>(sql`
      INSERT INTO job_runs (job, slot, trigger, instance, started_at, finished_at, status, rows, detail, error)
      VALUES (${job}, ${trigger === 'schedule' ? null : slot}, ${trigger}, ${this.instance}, ${now}, ${now}, ${status}, ${rows},
              ${JSON.stringify(detail)}::jsonb, ${error}) RETURNING id`);
    return (await this.runs(job, 1, (row as { id: number }).id))[0] as JobRun;
  }

  async runs(job: string | null, limit: number, id?: number): Promise<JobRun[]> {
    const rows = await this.db.query<Record<string, unknown>>(sql`
      SELECT * FROM job_runs WHERE ${job ? sql`job = ${job}` : sql`TRUE`} AND ${id !== undefined ? sql`id = ${id}` : sql`TRUE`}
      ORDER BY id DESC LIMIT ${limit}`);
    return rows.map((r) => ({
      id: r.id as number, job: r.job as string, slot: r.slot as string | null, trigger: r.trigger as JobRun['trigger'],
      instance: r.instance as string, startedAt: r.started_at as string, finishedAt: r.finished_at as string | null,
      status: r.status as JobRun['status'], rows: r.rows as number, detail: r.detail as Record<string, unknown>,
      error: r.error as string | null,
    }));
  }
}
