/**
 * Owns the Prometheus metrics (prom-client). Counters and histograms live in this process and
 * are fed by the HTTP middleware below and by small hooks (the job runner; the claim and
 * redemption and lottery entry batchers feed `metrics.claimBatchSize`, `metrics.redemptionBatchSize` and `metrics.lotteryEntryBatchSize`). Figures that live in the database — pool budgets, the last
 * job runs, the last reconciliation — are read on scrape, bounded, so every instance reports
 * the same truth. Under WORKERS > 1 the cluster primary sums the workers (platform/cluster.ts);
 * database figures are then taken from the first worker instead of summed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import client from 'prom-client';
import { PROBLEMS, problemType } from '@hqt/shared';
import { sql, type Db } from './db';
import type { Logger } from './logger';

export const registry = client.register;

/** Open pools reported with budget gauges: the nearest to exhaustion first. */
export const POOL_GAUGES_MAX = 200;
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const PROBLEM_CODE = /"code":"([A-Z][A-Z0-9_]{1,47})"/;

/** Routes whose answers count as claims, redemptions and reversals (by express route path). */
const OUTCOME_ROUTES: Record<string, 'claims' | 'redemptions' | 'reversals'> = {
  'POST /api/v1/pools/:id/claims': 'claims',
  'POST /api/v1/redemptions': 'redemptions',
  'POST /api/v1/redemptions/:id/reversal': 'reversals',
};

export interface MetricsSources {
  db: Db;
  reportsDb?: Db | undefined;
  /** reserved and spent per pool, from the ledger's rollups (capabilities/ledger poolSums) */
  poolSums(db: Db, poolIds: string[]): Promise<{ pool_id: string; reserved_fen: number; spent_fen: number }[]>;
  jobNames(): string[];
}

let sources: MetricsSources | null = null;
let defaultsStarted = false;

/** Points the database-backed gauges at this app's databases and starts the process metrics. */
export function bindMetricsSources(next: MetricsSources): void {
  sources = next;
  if (!defaultsStarted) {
    defaultsStarted = true;
    client.collectDefaultMetrics({ register: registry });
  }
}

const httpRequests = new client.Counter({
  name: 'hqt_http_requests_total', help: 'HTTP requests answered, per express route and status',
  labelNames: ['method', 'route', 'status'] as const,
});
const httpDuration = new client.Histogram({
  name: 'hqt_http_request_duration_seconds', help: 'HTTP request latency, per express route and status',
  labelNames: ['method', 'route', 'status'] as const, buckets: LATENCY_BUCKETS_S,
});
const outcome = (name: string, help: string) => new client.Counter({
  name, help: `${help}; result: ok, replayed, or the problem code`, labelNames: ['result'] as const,
});

/** What other code may feed (import { metrics } from '../../platform/metrics'). */
export const metrics = {
  claims: outcome('hqt_claims_total', 'Claim answers'),
  redemptions: outcome('hqt_redemptions_total', 'Redemption answers'),
  reversals: outcome('hqt_reversals_total', 'Reversal answers'),
  soldOut: new client.Counter({
    name: 'hqt_sold_out_total', help: 'POOL_EXHAUSTED answers (sold out), per route', labelNames: ['route'] as const,
  }),
  claimBatchSize: new client.Histogram({
    name: 'hqt_claim_batch_size', help: 'Claims folded into one transaction by the claim batcher',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  }),
  redemptionBatchSize: new client.Histogram({
    name: 'hqt_redemption_batch_size', help: 'Redemptions folded into one transaction by the redemption batcher',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  }),
  lotteryEntryBatchSize: new client.Histogram({
    name: 'hqt_lottery_entry_batch_size', help: 'Lottery entries folded into one statement by the entry batcher',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  }),
  jobRuns: new client.Counter({
    name: 'hqt_job_runs_total', help: 'Job runs executed by this process, per job and status',
    labelNames: ['job', 'status'] as const,
  }),
  jobDuration: new client.Histogram({
    name: 'hqt_job_duration_seconds', help: 'Job run duration, per job and status',
    labelNames: ['job', 'status'] as const, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
  }),
  observeJob(job: string, status: 'succeeded' | 'failed', seconds: number): void {
    this.jobRuns.inc({ job, status });
    this.jobDuration.observe({ job, status }, seconds);
  },
};

// ---- gauges read from the database on scrape ----------------------------------------------

interface PoolFigures {
  id: string;
  kind: string;
  budget: number;
  available: number;
  reserved: number;
  spent: number;
}

/**
 * A scrape collects every metric at once (prom-client starts all collects in one tick), so
 * the gauges that share a query share its one pending read.
 */
function sharedRead<T>(read: () => Promise<T>): () => Promise<T> | null {
  let pending: Promise<T> | null = null;
  return () => {
    if (!sources) return null;
    if (!pending) pending = read().finally(() => { pending = null; });
    return pending;
  };
}

async function readPools({ db, poolSums }: MetricsSources): Promise<{ open: number; pools: PoolFigures[] }> {
  const rows = await db.query<{ id: string; kind: string; budget_fen: number; available_fen: number }>(sql`
    SELECT id, kind, budget_fen, available_fen FROM pools WHERE status IN ('scheduled', 'open', 'paused')
    ORDER BY available_fen::numeric / greatest(budget_fen, 1), id LIMIT ${POOL_GAUGES_MAX}`);
  const [count] = await db.query<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM pools WHERE status IN ('scheduled', 'open', 'paused')`);
  const sums = new Map((await poolSums(db, rows.map((r) => r.id))).map((s) => [s.pool_id, s]));
  return {
    open: count?.n ?? 0,
    pools: rows.map((r) => ({
      id: r.id, kind: r.kind, budget: r.budget_fen, available: r.available_fen,
      reserved: sums.get(r.id)?.reserved_fen ?? 0, spent: sums.get(r.id)?.spent_fen ?? 0,
    })),
  };
}

const pools = sharedRead(() => readPools(sources as MetricsSources));

function poolGauge(name: string, help: string, pick: (p: PoolFigures) => number): client.Gauge<'pool' | 'kind'> {
  return new client.Gauge({
    name, help, labelNames: ['pool', 'kind'] as const, aggregator: 'first',
    async collect() {
      this.reset();
      const figures = await pools()?.catch(() => null);
      for (const p of figures?.pools ?? []) this.set({ pool: p.id, kind: p.kind }, pick(p));
    },
  });
}

poolGauge('hqt_pool_budget_fen', `Budget of the ${POOL_GAUGES_MAX} open pools nearest to exhaustion`, (p) => p.budget);
poolGauge('hqt_pool_available_fen', 'Budget not yet reserved by a voucher', (p) => p.available);
poolGauge('hqt_pool_reserved_fen', 'Budget reserved by vouchers and B2B holds', (p) => p.reserved);
poolGauge('hqt_pool_spent_fen', 'Budget redeemed (spent and settled)', (p) => p.spent);
new client.Gauge({
  name: 'hqt_pools_open', help: 'Pools scheduled, open or paused (all of them, not only those with gauges)',
  aggregator: 'first',
  async collect() {
    const figures = await pools()?.catch(() => null);
    if (figures) this.set(figures.open);
  },
});

interface JobFigures {
  name: string;
  last_status: string | null;
  last_finished_at: string | null;
  last_success_at: string | null;
  last_rows: number | null;
}

async function readJobs(db: Db, names: string[]): Promise<JobFigures[]> {
  if (names.length === 0) return [];
  return db.query<JobFigures>(sql`
    SELECT j.name, last.status AS last_status, last.finished_at AS last_finished_at, last.rows AS last_rows,
           ok.finished_at AS last_success_at
    FROM unnest(ARRAY[${sql.join(names.map((n) => sql`${n}`), sql`, `)}]::text[]) AS j(name)
    LEFT JOIN LATERAL (SELECT status, finished_at, rows FROM job_runs
                       WHERE job = j.name AND status IN ('succeeded', 'failed') ORDER BY id DESC LIMIT 1) last ON true
    LEFT JOIN LATERAL (SELECT finished_at FROM job_runs
                       WHERE job = j.name AND status = 'succeeded' ORDER BY id DESC LIMIT 1) ok ON true`);
}

const jobs = sharedRead(() => readJobs((sources as MetricsSources).db, (sources as MetricsSources).jobNames()));

new client.Gauge({
  name: 'hqt_job_last_run_failed', help: 'Whether the latest finished run of a job, on any instance, failed (1) or succeeded (0)',
  labelNames: ['job'] as const, aggregator: 'first',
  async collect() {
    this.reset();
    for (const j of (await jobs()?.catch(() => null)) ?? []) {
      if (j.last_status) this.set({ job: j.name }, j.last_status === 'failed' ? 1 : 0);
    }
  },
});
new client.Gauge({
  name: 'hqt_job_last_success_timestamp_seconds', help: 'When a job last succeeded on any instance (Unix time)',
  labelNames: ['job'] as const, aggregator: 'first',
  async collect() {
    this.reset();
    for (const j of (await jobs()?.catch(() => null)) ?? []) {
      if (j.last_success_at) this.set({ job: j.name }, Date.parse(j.last_success_at) / 1000);
    }
  },
});
new client.Gauge({
  name: 'hqt_reconcile_differences', help: 'Differences the latest reconcile job found (0: the journal explains every balance)',
  aggregator: 'first',
  async collect() {
    this.reset();
    const run = ((await jobs()?.catch(() => null)) ?? []).find((j) => j.name === 'reconcile');
    if (run?.last_status === 'succeeded') this.set(run.last_rows ?? 0);
  },
});

new client.Gauge({
  name: 'hqt_db_pool_connections', help: 'Database pool connections of this process, by state (total, idle, waiting clients, max)',
  labelNames: ['db', 'state'] as const,
  collect() {
    this.reset();
    const dbs: [string, Db | undefined][] = [['primary', sources?.db], ['reports', sources?.reportsDb]];
    for (const [name, db] of dbs) {
      const s = db?.stats?.();
      if (!s) continue;
      this.set({ db: name, state: 'total' }, s.total);
      this.set({ db: name, state: 'idle' }, s.idle);
      this.set({ db: name, state: 'waiting' }, s.waiting);
      this.set({ db: name, state: 'max' }, s.max);
    }
  },
});

// ---- HTTP ----------------------------------------------------------------------------------

function routeOf(req: Request, apiBase: string): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return 'unmatched';
  // express resets req.baseUrl when an error leaves the router, so the base comes from the URL
  return req.originalUrl.startsWith(apiBase + '/') ? apiBase + path : path;
}

function resultOf(res: Response, status: number): string {
  if (status < 400) return res.getHeader('Idempotent-Replayed') === 'true' ? 'replayed' : 'ok';
  const code = res.locals.problemCode as string | undefined;
  return code ?? `http_${status}`;
}

const COUNTED = Symbol('hqt.metrics.counted');

/** Counts and times every answer by route and status; classifies claims, redemptions, reversals. */
export function httpMetrics(apiBase = '/api/v1') {
  return (req: Request, res: Response, next: NextFunction): void => {
    const marked = res as Response & { [COUNTED]?: true };
    if (marked[COUNTED]) return next(); // mounted on two chains (app/hot-path.ts): count once
    marked[COUNTED] = true;
    const t0 = process.hrtime.bigint();
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => {
      if (res.statusCode >= 400 && typeof body === 'string') {
        const code = PROBLEM_CODE.exec(body.slice(0, 2_000))?.[1];
        if (code && code in PROBLEMS) res.locals.problemCode = code;
      }
      return send(body);
    }) as Response['send'];
    let done = false;
    const record = (): void => {
      if (done) return;
      done = true;
      const route = routeOf(req, apiBase);
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      const labels = { method: METHODS.has(req.method) ? req.method : 'OTHER', route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, Number(process.hrtime.bigint() - t0) / 1e9);
      const kind = OUTCOME_ROUTES[`${req.method} ${route}`];
      if (kind) metrics[kind].inc({ result: resultOf(res, status) });
      if (res.locals.problemCode === 'POOL_EXHAUSTED') metrics.soldOut.inc({ route });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

// ---- serving -------------------------------------------------------------------------------

let textProvider: () => Promise<string> = () => registry.metrics();

/** A cluster worker answers /metrics with the primary's sum over all workers. */
export function setMetricsTextProvider(provider: () => Promise<string>): void {
  textProvider = provider;
}

export function metricsText(): Promise<string> {
  return textProvider();
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function refuse(res: Response, status: 401 | 404, code: 'UNAUTHENTICATED' | 'NOT_FOUND', detail: string): void {
  res.status(status).type('application/problem+json').send(JSON.stringify({
    type: problemType(code), title: PROBLEMS[code].title, status, code, detail,
  }));
}

/** GET /metrics on the main port: only with METRICS_TOKEN configured and presented as a bearer token. */
export function metricsRoute(token: string | null) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!token) return refuse(res, 404, 'NOT_FOUND', 'No route GET /metrics (set METRICS_TOKEN or METRICS_PORT)');
    const presented = /^Bearer (\S{1,512})$/.exec(req.headers.authorization ?? '')?.[1];
    if (!presented || !timingSafeEqual(digest(presented), digest(token))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      return refuse(res, 401, 'UNAUTHENTICATED', 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"');
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(await metricsText());
  };
}

/** The metrics port (METRICS_PORT): GET /metrics only, no token (keep the port off the public network). */
export function startMetricsServer(port: number, host: string, logger: Logger, text: () => Promise<string> = metricsText): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    text().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(body),
      (err: unknown) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      logger.info({ port }, 'metrics on http://%s:%d/metrics', host, port);
      resolve(server);
    });
  });
}
