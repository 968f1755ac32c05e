/**
 * What every benchmark shares: a database of its own (created, migrated, dropped), the
 * server as a child process (the production entry point, server/dist/main.js, or the bare
 * express "hello"), load from autocannon on loopback, the machine's state, medians, and the
 * results (JSON under bench-results/, one summary line appended to docs/BENCHMARKS.md).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { sql, type Db } from '../../server/src/platform/db';
import { createPgDb } from '../../server/src/platform/db-pg';
import { migrate } from '../../server/src/platform/migrate';

export const ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS_DIR = path.join(ROOT, 'bench-results');
export const BENCHMARKS_MD = path.join(ROOT, 'docs', 'BENCHMARKS.md');
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchOptions {
  name: string;
  /** runs per figure; figures are the median */
  runs: number;
  /** 1 = the issue's full size; smaller runs say so in their results */
  scale: number;
  workers: number;
  databaseUrl: string;
  logLevel: string;
  /** wait up to this long before each run for the 1-minute load average to fall below `quietLoad` */
  quietWaitS: number;
  quietLoad: number;
  cpuProf: boolean;
  /** append the summary line to docs/BENCHMARKS.md */
  record: boolean;
}

// ---- statistics and machine ----

export function median(xs: number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function load1(): number {
  return round(os.loadavg()[0] as number, 2);
}

export function machine() {
  let pg = 'unknown';
  try {
    pg = execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // psql absent: the server version is read from the database instead
  }
  return {
    nproc: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version, psql: pg, postgres: postgresSettings(), loadavg: os.loadavg().map((x) => round(x, 2)), at: new Date().toISOString(),
  };
}

/** The server settings that move the figures (docs/OPERATIONS.md, PostgreSQL settings), read with psql from the default database. */
const SETTINGS_SHOWN = ['shared_buffers', 'max_wal_size', 'synchronous_commit', 'wal_compression'] as const;
let settingsRead: Record<string, string> | null = null;
function postgresSettings(): Record<string, string> {
  if (settingsRead) return settingsRead;
  try {
    const out = execFileSync('psql', [process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, '-Atc',
      `SELECT name || '=' || current_setting(name) FROM pg_settings WHERE name IN (${SETTINGS_SHOWN.map((n) => `'${n}'`).join(', ')}) ORDER BY name`],
    { encoding: 'utf8' });
    settingsRead = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
  } catch {
    settingsRead = {};
  }
  return settingsRead;
}

/** Polls the 1-minute load average until it is below `threshold` or `maxWaitS` has passed; returns the load then. */
export async function waitForQuiet(maxWaitS: number, threshold: number, say: (s: string) => void): Promise<number> {
  const deadline = Date.now() + maxWaitS * 1000;
  let announced = false;
  while (load1() >= threshold && Date.now() < deadline) {
    if (!announced) say(`  waiting for the 1-minute load (${load1()}) to fall below ${threshold} (up to ${maxWaitS} s)…`);
    announced = true;
    await sleep(5000);
  }
  return load1();
}

// ---- databases ----

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

/** A fresh database on the server DATABASE_URL names, migrated; dropped by `drop()`. */
export async function createBenchDatabase(baseUrl: string): Promise<BenchDatabase> {
  const name = `hqt_bench_${randomBytes(4).toString('hex')}`;
  const admin = createPgDb({ url: baseUrl, poolMax: 1 });
  await admin.query(sql.raw(`CREATE DATABASE ${name}`));
  const url = withDatabase(baseUrl, name);
  const db = createPgDb({ url, poolMax: 2 });
  await migrate(db);
  await db.close();
  return {
    url, name,
    drop: async () => {
      await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await admin.close();
    },
  };
}

export function openDb(url: string, poolMax = 8): Db {
  return createPgDb({ url, poolMax, applicationName: 'hqt-bench' });
}

// ---- server processes ----

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** RSS samples (MiB) of the server and its cluster workers, summed per sample */
  rss: { maxTotalMiB: number; maxPerProcessMiB: number; samples: number };
  startSampling(intervalMs?: number): void;
  stopSampling(): void;
  stop(): Promise<void>;
  stderr(): string;
}

/** The secrets and settings a benchmark server runs with (production mode, no demo data). */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production', HOST: '127.0.0.1',
    JWT_SECRET: SECRETS.jwt, QR_SECRET: SECRETS.qr, ID_HASH_SECRET: SECRETS.idHash, BCRYPT_COST: '12',
    SEED_DEMO: 'false', LOG_LEVEL: 'info', ...extra, ...serverOverrides(),
  };
}

/** BENCH_SERVER_X=v in the environment sets X=v for the server under test (e.g. BENCH_SERVER_LOG_LEVEL=warn), to weigh one setting. */
function serverOverrides(): Record<string, string> {
  const prefix = 'BENCH_SERVER_';
  return Object.fromEntries(Object.entries(process.env)
    .filter((e): e is [string, string] => e[0].startsWith(prefix) && e[0].length > prefix.length && e[1] !== undefined)
    .map(([k, v]) => [k.slice(prefix.length), v]));
}

export const SECRETS = {
  jwt: randomBytes(32).toString('hex'), qr: randomBytes(32).toString('hex'), idHash: randomBytes(32).toString('hex'),
};

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return [];
  }
}

/**
 * Starts `script` (default: the built server) with `env`, waits until `readyPath` answers
 * 200, and returns a handle. `nodeArgs` e.g. --cpu-prof.
 */
export async function startServer(opts: { env: Record<string, string>; script?: string; readyPath?: string; nodeArgs?: string[] }): Promise<ServerProcess> {
  const port = await freePort();
  const script = opts.script ?? path.join(ROOT, 'server', 'dist', 'main.js');
  // BENCH_NODE_ARGS (space-separated) tries V8 flags on the server, e.g. a larger young generation
  const extraArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...extraArgs, ...(opts.nodeArgs ?? []), script], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...opts.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const readyPath = opts.readyPath ?? '/api/v1/ready';
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${err}`);
    try {
      const res = await fetch(url + readyPath);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server not ready after 120 s: ${err}`);
    await sleep(200);
  }
  const rss = { maxTotalMiB: 0, maxPerProcessMiB: 0, samples: 0 };
  let timer: NodeJS.Timeout | null = null;
  const pid = child.pid as number;
  return {
    url, pid, rss,
    startSampling(intervalMs = 250) {
      const sample = () => {
        const pids = [pid, ...childPids(pid)];
        const each = pids.map(rssMiB);
        rss.maxTotalMiB = Math.max(rss.maxTotalMiB, round(each.reduce((s, x) => s + x, 0), 1));
        rss.maxPerProcessMiB = Math.max(rss.maxPerProcessMiB, round(Math.max(...each), 1));
        rss.samples++;
      };
      sample();
      timer = setInterval(sample, intervalMs);
    },
    stopSampling() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
    stderr: () => err,
  };
}

export const HELLO_SERVER = path.join(ROOT, 'scripts', 'bench', 'hello-server.cjs');

// ---- load ----

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU per request while the load ran, when the server's pid was given */
  cpu?: CpuPerOp;
}

type AutocannonOptions = Parameters<typeof autocannon>[0];

/** Runs autocannon and condenses its result; with the server's pid, also the CPU each request cost (cpuPerOp). */
export async function load(options: AutocannonOptions, serverPid?: number): Promise<LoadResult> {
  const before = serverPid === undefined ? null : cpuSnapshot(serverPid);
  const result = await autocannon({ timeout: 30, ...options });
  const after = serverPid === undefined ? null : cpuSnapshot(serverPid);
  const statusCounts: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (v as { count: number }).count;
  const requests = Object.values(statusCounts).reduce((s, n) => s + n, 0);
  const durationS = result.duration;
  return {
    requests, durationS: round(durationS, 2), rps: round(requests / durationS), p50Ms: result.latency.p50, p99Ms: result.latency.p99,
    statusCounts, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx,
    ...(before && after ? { cpu: cpuPerOp(before, after, requests) } : {}),
  };
}

/** The median of each CpuPerOp field over runs (those that measured it); undefined when none did. */
export function medianCpu(cpus: (CpuPerOp | undefined)[]): CpuPerOp | undefined {
  const xs = cpus.filter((c): c is CpuPerOp => c !== undefined);
  if (xs.length === 0) return undefined;
  return {
    selfUs: median(xs.map((c) => c.selfUs)), serverUs: median(xs.map((c) => c.serverUs)),
    postgresUs: median(xs.map((c) => c.postgresUs)), idleUs: median(xs.map((c) => c.idleUs)),
  };
}

/** "CPU per request: server 560 µs, …" for a run's line. */
export function cpuLine(cpu: CpuPerOp | undefined, what = 'request'): string {
  if (!cpu) return '';
  return `CPU per ${what}: server ${cpu.serverUs} µs, load generator ${cpu.selfUs} µs, PostgreSQL ${cpu.postgresUs} µs, idle ${cpu.idleUs} µs`;
}

/** The bare express hello's throughput on this machine right now: the ceiling for the HTTP ratios. */
export async function measureHello(connections: number, durationS: number, workers = 1): Promise<LoadResult> {
  const hello = await startServer({ env: { WORKERS: String(workers) }, script: HELLO_SERVER, readyPath: '/hello' });
  try {
    await load({ url: hello.url + '/hello', connections, duration: 2 }); // warm-up
    return await load({ url: hello.url + '/hello', connections, duration: durationS }, hello.pid);
  } finally {
    await hello.stop();
  }
}

// ---- results ----

export function writeResults(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/** Appends one line under "## Results log" of docs/BENCHMARKS.md (creating the section if missing). */
export function appendSummary(line: string, on: 'postgres-server' | 'pglite' = 'postgres-server'): void {
  const heading = '## Results log';
  const text = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '# Benchmarks\n';
  if (!text.includes(heading)) appendFileSync(BENCHMARKS_MD, `${text.endsWith('\n') ? '' : '\n'}\n${heading}\n\n`);
  const pg = on === 'postgres-server' ? postgresSettings() : {};
  const overrides = [...Object.entries(serverOverrides()).map(([k, v]) => `${k}=${k.endsWith('_URL') ? v.replace(/\/\/[^@/]*@/, '//') : v}`),
    ...(process.env.BENCH_NODE_ARGS ? [`node ${process.env.BENCH_NODE_ARGS}`] : [])];
  appendFileSync(BENCHMARKS_MD, `- ${line}${on === 'postgres-server' && pg.shared_buffers ? ` · PostgreSQL shared_buffers ${pg.shared_buffers}` : ''}`
    + `${overrides.length > 0 ? ` · server settings: ${overrides.join(', ')}` : ''}\n`);
}

export function say(s: string): void {
  process.stdout.write(s + '\n');
}

// ---- CPU accounting (Linux /proc) ----

/**
 * CPU seconds used so far: by this process (the load generator, or the claim service
 * in-process), by the server under test (a process and its children, e.g. cluster workers),
 * by every PostgreSQL process on the machine, and idle on the whole machine (all cores).
 */
export interface CpuSnapshot {
  selfS: number;
  serverS: number;
  /** per PostgreSQL process: a backend that starts or ends during the window must not count its whole life */
  postgres: Map<string, number>;
  idleS: number;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** utime + stime of one process in seconds, and its command name; null when it is gone. */
function processCpu(pid: number | string): { comm: string; s: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), s: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S };
  } catch {
    return null; // it ended between the listing and the read
  }
}

function postgresCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const p = processCpu(pid);
    if (p && (p.comm === 'postgres' || p.comm === 'postmaster')) out.set(pid, p.s);
  }
  return out;
}

function machineIdleS(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
  return (Number(cpu[4] ?? 0) + Number(cpu[5] ?? 0)) / CLOCK_TICKS_PER_S; // idle + iowait
}

export function cpuSnapshot(serverPid?: number): CpuSnapshot {
  const u = process.cpuUsage();
  const serverS = serverPid === undefined ? 0
    : [serverPid, ...childPids(serverPid)].reduce((sum, pid) => sum + (processCpu(pid)?.s ?? 0), 0);
  return { selfS: (u.user + u.system) / 1e6, serverS, postgres: postgresCpu(), idleS: machineIdleS() };
}

/** CPU per operation between two snapshots, in microseconds (one field per CpuSnapshot field). */
export interface CpuPerOp {
  /** this process: the load generator, or the claim service in-process */
  selfUs: number;
  serverUs: number;
  postgresUs: number;
  /** idle CPU time on the whole machine per operation: what was left unused */
  idleUs: number;
}

/**
 * A PostgreSQL process counts from the first snapshot (or its start) to the second; one that
 * exits between them takes that part with it, so the PostgreSQL figure is a lower bound
 * when backends end inside the window (the benches keep their connection pools open).
 */
export function cpuPerOp(before: CpuSnapshot, after: CpuSnapshot, ops: number): CpuPerOp {
  const us = (a: number, b: number) => (ops > 0 ? round(((b - a) * 1e6) / ops, 1) : Number.NaN);
  let postgresS = 0;
  for (const [pid, s] of after.postgres) postgresS += s - (before.postgres.get(pid) ?? 0);
  return {
    selfUs: us(before.selfS, after.selfS), serverUs: us(before.serverS, after.serverS),
    postgresUs: us(0, postgresS), idleUs: us(before.idleS, after.idleS),
  };
}
