/**
 * Owns configuration: the environment is read here and nowhere else, validated once with
 * Joi at start, and frozen. A bad value fails fast naming the variable.
 */
import Joi from 'joi';
import cron from 'node-cron';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BatchingOptions } from '../platform/batching';

export interface JwtKey {
  id: string;
  secret: string;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  databasePoolMax: number;
  /** how long a query waits for a free pg connection before answering 503 OVERLOADED */
  databaseConnectWaitMs: number;
  jwtKeys: { current: JwtKey; previous: JwtKey | null };
  qrSecret: string;
  idHashSecret: string;
  bcryptCost: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  seedDemo: boolean;
  clientDist: string;
  redisUrl: string | null;
  /** requests per window and key on the abuse-prone endpoints (docs/RELIABILITY.md) */
  rateLimits: RateLimits;
  /** origins allowed to call the API from a browser (CORS); empty: none */
  corsOrigins: readonly string[];
  /** processes on this host (node cluster); > 1 needs DATABASE_URL */
  workers: number;
  metricsPort: number | null;
  metricsToken: string | null;
  reportsDatabaseUrl: string | null;
  reportsDatabasePoolMax: number;
  shutdownGraceMs: number;
  shutdownDelayMs: number;
  /** job name (or '*') → cron expression replacing the job's own schedule */
  jobsScheduleOverride: Readonly<Record<string, string>>;
  /** concurrent claims on one pool folded into one transaction (capabilities/vouchers/claim-batcher.ts) */
  claimBatching: Readonly<BatchingOptions>;
  /** concurrent redemptions folded into one transaction (capabilities/redemptions/redemption-batcher.ts) */
  redemptionBatching: Readonly<BatchingOptions>;
  lotteryEntryBatching: Readonly<BatchingOptions>;
  /** claims, lottery entries and redemptions answer 503 OVERLOADED while more queries wait for a connection */
  dbWaitingMax: number;
  /** monthly partitions of journal_entries and redemptions kept ready after the current month (jobs/partitions.job.ts) */
  partitionMonthsAhead: number;
  /** job runs older than this are purged, each job's latest kept (jobs/job-runs-retention.job.ts) */
  jobRunsRetentionDays: number;
}

export interface RateLimits {
  windowMs: number;
  loginMax: number;
  claimsMax: number;
  lotteryEntriesMax: number;
  redemptionsMax: number;
}

const secret = Joi.string().min(32).max(512);
const rateLimitMax = Joi.number().integer().min(1).max(1_000_000);

/** Every variable the server understands; `scripts/config-reference.ts` documents it from here. */
export const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development')
    .description('development generates missing secrets; production refuses to start without them'),
  HOST: Joi.string().hostname().default('0.0.0.0').description('address to listen on'),
  PORT: Joi.number().port().default(3000).description('HTTP port'),
  DATA_DIR: Joi.string().max(1024).default('./data')
    .description('embedded PostgreSQL data, generated development secrets, uploaded files'),
  DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }).max(2048)
    .description('PostgreSQL server; when unset the embedded PGlite in DATA_DIR is used'),
  DATABASE_POOL_MAX: Joi.number().integer().min(1).max(500).default(20).description('pg pool size'),
  DB_CONNECT_WAIT_MS: Joi.number().integer().min(100).max(120_000).default(10_000)
    .description('how long a query waits for a free pg connection; past it the request answers 503 OVERLOADED with Retry-After (a job run fails and runs again)'),
  JWT_SECRET: secret.description('HS256 signing key for access tokens (≥ 32 characters)'),
  JWT_KEY_ID: Joi.string().pattern(/^[A-Za-z0-9._-]{1,64}$/).default('k1').description('kid of JWT_SECRET'),
  JWT_PREVIOUS_SECRET: secret.description('previous signing key, still accepted during a rotation'),
  JWT_PREVIOUS_KEY_ID: Joi.string().pattern(/^[A-Za-z0-9._-]{1,64}$/).invalid(Joi.ref('JWT_KEY_ID'))
    .messages({ 'any.invalid': '{{#label}} must differ from JWT_KEY_ID (each key needs its own kid)' })
    .description('kid of JWT_PREVIOUS_SECRET'),
  QR_SECRET: secret.description('key that signs voucher QR tokens and derives per-voucher keys'),
  ID_HASH_SECRET: secret.description('key of the keyed hash of resident ID numbers'),
  BCRYPT_COST: Joi.number().integer().min(4).max(15).description('bcrypt cost; production requires ≥ 12'),
  ACCESS_TOKEN_TTL_SECONDS: Joi.number().integer().min(30).max(3600).default(900).description('access JWT lifetime'),
  REFRESH_TOKEN_TTL_DAYS: Joi.number().integer().min(1).max(90).default(30).description('refresh token lifetime'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info')
    .description('pino log level of the JSON lines on stdout'),
  SEED_DEMO: Joi.boolean().description('seed demo data into an empty database (default: on outside production)'),
  CLIENT_DIST: Joi.string().max(1024).description('built client files served at / (default: client/dist)'),
  REDIS_URL: Joi.string().uri({ scheme: ['redis', 'rediss'] }).max(2048)
    .description('Redis for shared rate-limit counters when several instances run'),
  RATE_LIMIT_WINDOW_SECONDS: Joi.number().integer().min(1).max(86_400).default(60)
    .description('window of every rate limit below; a client over its limit gets 429 RATE_LIMITED with Retry-After'),
  RATE_LIMIT_LOGIN: rateLimitMax.default(60).description('POST /auth/login per window, per client IP and login name'),
  RATE_LIMIT_CLAIMS: rateLimitMax.default(60).description('POST /pools/:id/claims per window, per signed-in user'),
  RATE_LIMIT_LOTTERY_ENTRIES: rateLimitMax.default(30).description('POST /pools/:id/lottery/entries per window, per signed-in user'),
  RATE_LIMIT_REDEMPTIONS: rateLimitMax.default(300)
    .description('POST /redemptions and /redemptions/preview per window, per signed-in cashier'),
  CORS_ORIGINS: Joi.string().max(4096)
    .pattern(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/)
    .messages({ 'string.pattern.base': '{{#label}} must be a comma-separated list of origins such as https://console.example.gov.cn' })
    .description('origins that browsers may call the API from (CORS), comma-separated; unset: CORS closed'),
  WORKERS: Joi.number().integer().min(1).max(64).default(1)
    .description('server processes on this host (node cluster; a crashed worker is restarted); more than 1 needs DATABASE_URL'),
  METRICS_PORT: Joi.number().port().description('serve Prometheus metrics on this separate port (unset: no metrics port)'),
  METRICS_TOKEN: Joi.string().min(16).max(512)
    .description('serve Prometheus metrics at /metrics on the main port to requests bearing "Authorization: Bearer <token>"'),
  REPORTS_DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }).max(2048)
    .description('read replica for report queries (default: the main database)'),
  REPORTS_DATABASE_POOL_MAX: Joi.number().integer().min(1).max(200).default(5).description('pg pool size of REPORTS_DATABASE_URL'),
  SHUTDOWN_GRACE_MS: Joi.number().integer().min(0).max(120_000).default(10_000)
    .description('on SIGTERM, how long in-flight requests and batch flushes may take before connections are cut'),
  SHUTDOWN_DELAY_MS: Joi.number().integer().min(0).max(60_000).default(0)
    .description('on SIGTERM, keep accepting (with /ready answering 503) this long before closing the listener, for load balancers that probe readiness'),
  JOBS_SCHEDULE_OVERRIDE: Joi.string().max(2048).custom(parseScheduleOverride, 'job schedule override')
    .description('replace job schedules, "name=cron;name=cron" ("*" for every job; 6 fields for seconds), e.g. for tests'),
  CLAIM_BATCHING: Joi.string().valid('on', 'off').default('on')
    .description('fold concurrent claims on one pool into one transaction (off: one transaction per claim)'),
  CLAIM_BATCH_MAX: Joi.number().integer().min(1).max(5000).default(500).description('most claims in one batch'),
  CLAIM_BATCH_WAIT_MS: Joi.number().integer().min(0).max(100).default(2)
    .description('how long the first claim on an idle pool waits for others to join its batch'),
  CLAIM_QUEUE_MAX: Joi.number().integer().min(1).max(1_000_000).default(20_000)
    .description('most claims waiting per pool (in this process); more answer 503 OVERLOADED with Retry-After'),
  CLAIM_BATCHES_IN_FLIGHT: Joi.number().integer().min(1).max(8).default(2)
    .description('batches of one pool in flight at once; the next prepares while one holds the pool row'),
  REDEMPTION_BATCHING: Joi.string().valid('on', 'off').default('on')
    .description('fold concurrent redemptions into one transaction (off: one transaction per redemption)'),
  REDEMPTION_BATCH_MAX: Joi.number().integer().min(1).max(1000).default(100).description('most redemptions in one batch'),
  REDEMPTION_BATCH_WAIT_MS: Joi.number().integer().min(0).max(100).default(2)
    .description('how long the first redemption on an idle queue waits for others to join its batch'),
  REDEMPTION_QUEUE_MAX: Joi.number().integer().min(1).max(1_000_000).default(20_000)
    .description('most redemptions waiting for a batch (in this process); more answer 503 OVERLOADED with Retry-After'),
  REDEMPTION_BATCHES_IN_FLIGHT: Joi.number().integer().min(1).max(16).default(4)
    .description('redemption batches in flight at once (each locks its own vouchers)'),
  LOTTERY_ENTRY_BATCHING: Joi.string().valid('on', 'off').default('on')
    .description('fold concurrent lottery entries to one pool round into one statement (off: one statement per entry)'),
  LOTTERY_ENTRY_BATCH_MAX: Joi.number().integer().min(1).max(2000).default(200).description('most lottery entries in one batch'),
  LOTTERY_ENTRY_BATCH_WAIT_MS: Joi.number().integer().min(0).max(100).default(2)
    .description('how long the first entry to an idle pool round waits for others to join its batch'),
  LOTTERY_ENTRY_QUEUE_MAX: Joi.number().integer().min(1).max(1_000_000).default(20_000)
    .description('most lottery entries waiting per pool round (in this process); more answer 503 OVERLOADED with Retry-After'),
  LOTTERY_ENTRY_BATCHES_IN_FLIGHT: Joi.number().integer().min(1).max(16).default(2)
    .description('entry batches of one pool round in flight at once'),
  DB_WAITING_MAX: Joi.number().integer().min(1).max(1_000_000).default(2000)
    .description('claims, lottery entries and redemptions answer 503 OVERLOADED (Retry-After) while more queries than this wait for a database connection'),
  PARTITION_MONTHS_AHEAD: Joi.number().integer().min(1).max(24).default(3)
    .description('monthly partitions of journal_entries and redemptions created ahead of the current month (job partitions, and at start)'),
  JOB_RUNS_RETENTION_DAYS: Joi.number().integer().min(1).max(3660).default(90)
    .description('job runs older than this are deleted daily (job job-runs-retention); each job keeps its latest run, finished run and success'),
})
  .and('JWT_PREVIOUS_SECRET', 'JWT_PREVIOUS_KEY_ID')
  .unknown(true);

export class ConfigError extends Error {}

const OVERRIDE_NAME = /^(\*|[a-z0-9-]{1,64})$/;

/** `hold-void=* * * * *;*=0 3 * * *` → { 'hold-void': '* * * * *', '*': '0 3 * * *' } */
function parseScheduleOverride(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const expression = part.slice(eq + 1).trim();
    if (eq < 1 || !OVERRIDE_NAME.test(name)) throw new Error(`"${part}" is not name=cron`);
    if (!cron.validate(expression)) throw new Error(`"${expression}" is not a cron expression`);
    out[name] = expression;
  }
  return out;
}

type Env = Record<string, string | undefined>;

interface DevSecrets {
  JWT_SECRET: string;
  QR_SECRET: string;
  ID_HASH_SECRET: string;
}

const SECRET_NAMES = ['JWT_SECRET', 'QR_SECRET', 'ID_HASH_SECRET'] as const;

/** Development only: secrets are generated on first start and kept in the data directory. */
function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  mkdirSync(dataDir, { recursive: true });
  const generated: DevSecrets = {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    QR_SECRET: randomBytes(32).toString('base64url'),
    ID_HASH_SECRET: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  return generated;
}

function repoRoot(): string {
  // server/dist/config or server/src/config → repository root
  return path.resolve(__dirname, '..', '..', '..');
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const { value, error } = envSchema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    const lines = error.details.map((d) => `  ${String(d.path[0] ?? d.context?.label)}: ${d.message}`);
    throw new ConfigError('Invalid configuration:\n' + lines.join('\n'));
  }
  const v = value as Record<string, unknown>;
  const nodeEnv = v.NODE_ENV as Config['nodeEnv'];
  const dataDir = path.resolve(v.DATA_DIR as string);
  const missing = SECRET_NAMES.filter((n) => !v[n]);
  if (missing.length > 0 && nodeEnv === 'production') {
    throw new ConfigError(`Refusing to start in production without secrets: ${missing.join(', ')}`);
  }
  const secrets = missing.length > 0 ? { ...loadOrCreateDevSecrets(dataDir), ...pickSecrets(v) } : pickSecrets(v);
  if ((v.WORKERS as number) > 1 && !v.DATABASE_URL) {
    throw new ConfigError('  WORKERS: more than 1 process needs DATABASE_URL — embedded PostgreSQL (PGlite) '
      + 'can be opened by one process only; set WORKERS=1 or point DATABASE_URL at a PostgreSQL server');
  }
  const bcryptCost = (v.BCRYPT_COST as number | undefined) ?? (nodeEnv === 'production' ? 12 : 10);
  if (nodeEnv === 'production' && bcryptCost < 12) {
    throw new ConfigError('  BCRYPT_COST: must be at least 12 in production');
  }
  const config: Config = {
    nodeEnv,
    host: v.HOST as string,
    port: v.PORT as number,
    dataDir,
    databaseUrl: (v.DATABASE_URL as string | undefined) ?? null,
    databasePoolMax: v.DATABASE_POOL_MAX as number,
    databaseConnectWaitMs: v.DB_CONNECT_WAIT_MS as number,
    jwtKeys: {
      current: { id: v.JWT_KEY_ID as string, secret: secrets.JWT_SECRET as string },
      previous: v.JWT_PREVIOUS_SECRET
        ? { id: v.JWT_PREVIOUS_KEY_ID as string, secret: v.JWT_PREVIOUS_SECRET as string }
        : null,
    },
    qrSecret: secrets.QR_SECRET as string,
    idHashSecret: secrets.ID_HASH_SECRET as string,
    bcryptCost,
    accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS as number,
    refreshTokenTtlDays: v.REFRESH_TOKEN_TTL_DAYS as number,
    logLevel: v.LOG_LEVEL as Config['logLevel'],
    seedDemo: (v.SEED_DEMO as boolean | undefined) ?? nodeEnv !== 'production',
    clientDist: path.resolve((v.CLIENT_DIST as string | undefined) ?? path.join(repoRoot(), 'client', 'dist')),
    redisUrl: (v.REDIS_URL as string | undefined) ?? null,
    rateLimits: Object.freeze({
      windowMs: (v.RATE_LIMIT_WINDOW_SECONDS as number) * 1000,
      loginMax: v.RATE_LIMIT_LOGIN as number,
      claimsMax: v.RATE_LIMIT_CLAIMS as number,
      lotteryEntriesMax: v.RATE_LIMIT_LOTTERY_ENTRIES as number,
      redemptionsMax: v.RATE_LIMIT_REDEMPTIONS as number,
    }),
    corsOrigins: Object.freeze(((v.CORS_ORIGINS as string | undefined) ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0)),
    workers: v.WORKERS as number,
    metricsPort: (v.METRICS_PORT as number | undefined) ?? null,
    metricsToken: (v.METRICS_TOKEN as string | undefined) ?? null,
    reportsDatabaseUrl: (v.REPORTS_DATABASE_URL as string | undefined) ?? null,
    reportsDatabasePoolMax: v.REPORTS_DATABASE_POOL_MAX as number,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS as number,
    shutdownDelayMs: v.SHUTDOWN_DELAY_MS as number,
    jobsScheduleOverride: Object.freeze({ ...((v.JOBS_SCHEDULE_OVERRIDE as Record<string, string> | undefined) ?? {}) }),
    claimBatching: batchingOf(v, 'CLAIM'),
    redemptionBatching: batchingOf(v, 'REDEMPTION'),
    lotteryEntryBatching: batchingOf(v, 'LOTTERY_ENTRY'),
    dbWaitingMax: v.DB_WAITING_MAX as number,
    partitionMonthsAhead: v.PARTITION_MONTHS_AHEAD as number,
    jobRunsRetentionDays: v.JOB_RUNS_RETENTION_DAYS as number,
  };
  return Object.freeze(config);
}

/** A request batcher's settings from its five variables, `<prefix>_BATCHING`, `_BATCH_MAX`, `_BATCH_WAIT_MS`, `_QUEUE_MAX`, `_BATCHES_IN_FLIGHT`. */
function batchingOf(v: Record<string, unknown>, prefix: 'CLAIM' | 'REDEMPTION' | 'LOTTERY_ENTRY'): Readonly<BatchingOptions> {
  const batchMax = v[`${prefix}_BATCH_MAX`] as number;
  return Object.freeze({
    enabled: v[`${prefix}_BATCHING`] === 'on',
    batchMax,
    waitMs: v[`${prefix}_BATCH_WAIT_MS`] as number,
    queueMax: Math.max(v[`${prefix}_QUEUE_MAX`] as number, batchMax),
    inFlightMax: v[`${prefix}_BATCHES_IN_FLIGHT`] as number,
  });
}

function pickSecrets(v: Record<string, unknown>): Partial<Record<(typeof SECRET_NAMES)[number], string>> {
  const out: Partial<Record<(typeof SECRET_NAMES)[number], string>> = {};
  for (const n of SECRET_NAMES) if (typeof v[n] === 'string') out[n] = v[n] as string;
  return out;
}
