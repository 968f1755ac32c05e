/**
 * Fault injection against the real server process (docs/RELIABILITY.md, "Faults"):
 *   npm run build && npm run test:faults
 * 1. server kills on the PostgreSQL server: SIGKILL at random moments under a mixed load, restart;
 * 2. database faults: pg_terminate_backend of the server's connections mid-load, one restart of
 *    PostgreSQL (the server must recover without a restart), a settlement job killed midway;
 * 3. embedded PGlite: SIGKILL during writes, reopen; a second process on the data directory refused.
 * After every fault the invariants of test/faults/invariants.ts are checked. Loopback only,
 * each phase bounded. Ends with "faults: N passed, M failed" (exit 1 when any failed).
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), FAULTS_KILLS (20),
 * FAULTS_PG_RESTART (1; 0 skips the PostgreSQL restart), FAULTS_ONLY (pg | pglite).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPgDb } from '../../server/src/platform/db-pg';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { sql, type Db } from '../../server/src/platform/db';
import { reconcile } from '../../server/src/capabilities/ledger/reconcile';
import { systemClock } from '../../server/src/platform/clock';
import { checkInSql, checkOverHttp } from './invariants';
import { Book, resolveUnknown, runLoad, type Actors } from './load';
import { call, freePort, ServerProcess, sleep } from './server';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KILLS = Number(process.env.FAULTS_KILLS ?? 20);
const PG_RESTART = process.env.FAULTS_PG_RESTART !== '0';
const ONLY = process.env.FAULTS_ONLY ?? '';
const PHASE_MS_MAX = 6 * 60_000;
const HOUR_MS = 3_600_000;
const DEMO_PASSWORD = 'hqt-demo-2025';

const results: { name: string; ok: boolean; detail: string }[] = [];
let injected = 0;
/** what the server printed before it last died */
let lastOutput = '';

function record(name: string, violations: string[], extra = ''): void {
  const ok = violations.length === 0;
  results.push({ name, ok, detail: ok ? extra : violations.slice(0, 10).join('\n    ') });
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${extra ? ` (${extra})` : ''}${ok ? '' : `\n    ${violations.slice(0, 10).join('\n    ')}`}\n`);
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function secretsEnv(): Record<string, string> {
  return {
    NODE_ENV: 'development', JWT_SECRET: randomBytes(32).toString('hex'), QR_SECRET: randomBytes(32).toString('hex'),
    ID_HASH_SECRET: randomBytes(32).toString('hex'), BCRYPT_COST: '4', SEED_DEMO: 'true',
    RATE_LIMIT_LOGIN: '100000', RATE_LIMIT_CLAIMS: '100000', RATE_LIMIT_LOTTERY_ENTRIES: '100000', RATE_LIMIT_REDEMPTIONS: '100000',
    // no cron job may run on its own during the test: every run is the test's
    JOBS_SCHEDULE_OVERRIDE: '*=0 0 1 1 *',
  };
}

async function login(base: string, who: string, password = DEMO_PASSWORD): Promise<string> {
  const a = await call(base, 'POST', '/auth/login', { body: { login: who, password } });
  if (a.status !== 200) throw new Error(`login ${who}: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body.accessToken as string;
}

async function openPool(base: string, overrides: Record<string, unknown>): Promise<string> {
  const manager = await login(base, 'jxw.manager');
  const approver = await login(base, 'jxw.approver');
  const now = Date.now();
  const created = await call(base, 'POST', '/pools', {
    token: manager,
    body: { kind: 'consumption', distribution: 'first_come', budgetFen: 100_000_000, perHolderMax: 1000, claimOpensAt: new Date(now - HOUR_MS).toISOString(), claimClosesAt: new Date(now + 24 * HOUR_MS).toISOString(), ...overrides },
  });
  if (created.status !== 201) throw new Error(`pool: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  await call(base, 'POST', `/pools/${id}/submit`, { token: manager });
  const approved = await call(base, 'POST', `/pools/${id}/approve`, { token: approver });
  if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${JSON.stringify(approved.body)}`);
  return id;
}

async function setUp(base: string): Promise<Actors> {
  const consumers: string[] = [];
  for (let i = 0; i < 12; i++) {
    const phone = `137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    await call(base, 'POST', '/auth/register/consumer', { body: { phone, password: 'fault-pass-1' } });
    consumers.push(await login(base, phone, 'fault-pass-1'));
  }
  const main = await openPool(base, {});
  // vouchers of this pool expire a minute in: the expiry job has work during the run
  const expiresAtMs = Date.now() + 60_000;
  const expiring = await openPool(base, { validUntil: new Date(expiresAtMs).toISOString() });
  return { admin: await login(base, 'admin'), cashier: await login(base, 'mch.catering.cashier'), consumers, pools: { main, expiring, all: [main, expiring], expiresAtMs } };
}

/** One fault cycle: load, the fault, the recovery, then every invariant. */
async function cycle(name: string, server: ServerProcess, book: Book, actors: Actors, fault: () => Promise<void>, sqlDb: (() => Promise<Db>) | null): Promise<void> {
  const stop = runLoad(() => server.url, book, actors);
  try {
    await fault();
    injected++;
  } finally {
    await stop();
  }
  if (!server.running) {
    lastOutput = server.output;
    server.start();
  }
  await server.waitReady();
  const open = await resolveUnknown(server.url, book);
  const violations = open > 0
    ? [`${open} operations still without an answer, e.g. ${JSON.stringify(book.unknown().slice(0, 3).map((o) => [o.kind, o.url, o.status, o.code, o.lastAnswer]))}`] : [];
  violations.push(...(await checkOverHttp(server.url, book, actors)));
  if (sqlDb) {
    const db = await sqlDb();
    try {
      violations.push(...(await checkInSql(db, book)));
      if (violations.length > 0) {
        // what the database was doing when a check failed: the sessions that were not idle
        const busy = await db.query<Record<string, unknown>>(sql`SELECT pid, state, wait_event_type, wait_event,
          now() - xact_start AS xact_age, now() - state_change AS state_age, left(query, 200) AS query
          FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
        if (busy.length > 0) violations.push(`sessions not idle: ${JSON.stringify(busy).slice(0, 3000)}`);
      }
    } finally {
      await db.close();
    }
  }
  const claims = book.acked('claim').length;
  const redemptions = book.acked('redeem').length;
  record(name, violations, `${claims} claims, ${redemptions} redemptions, ${book.acked('reverse').length} reversals acknowledged`);
}

function pgVersion(): string {
  return readdirSync('/etc/postgresql').sort().pop() as string;
}

async function pgPhase(): Promise<void> {
  const dbName = `hqt_faults_${randomBytes(4).toString('hex')}`;
  const admin = createPgDb({ url: PG_URL, poolMax: 1 });
  await admin.query(sql.raw(`CREATE DATABASE ${dbName}`));
  await admin.close();
  const url = withDatabase(PG_URL, dbName);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hqt-faults-pg-'));
  const server = new ServerProcess(await freePort(), { ...secretsEnv(), DATABASE_URL: url, DATA_DIR: dataDir, DATABASE_POOL_MAX: '8' });
  const sqlDb = async () => createPgDb({ url, poolMax: 2 });
  const deadline = Date.now() + PHASE_MS_MAX;
  try {
    server.start();
    await server.waitReady();
    const actors = await setUp(server.url);
    const book = new Book();

    for (let i = 1; i <= KILLS && Date.now() < deadline; i++) {
      await cycle(`pg: SIGKILL #${i} under load`, server, book, actors, async () => {
        await sleep(200 + Math.random() * 1200);
        await server.kill('SIGKILL');
      }, sqlDb);
    }

    for (let i = 1; i <= 3; i++) {
      const pid = server.pid;
      await cycle(`pg: pg_terminate_backend of the server's connections #${i}`, server, book, actors, async () => {
        const killer = createPgDb({ url: PG_URL, poolMax: 1 });
        try {
          for (let k = 0; k < 3; k++) {
            await sleep(300 + Math.random() * 400);
            await killer.query(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${dbName} AND pid <> pg_backend_pid()`);
          }
          await sleep(500);
        } finally {
          await killer.close();
        }
      }, sqlDb);
      if (server.pid !== pid) record(`pg: the server survived pg_terminate_backend #${i}`, [`the server process died: ${lastOutput.slice(0, 3000)}`]);
    }

    if (PG_RESTART) {
      const pid = server.pid;
      await cycle('pg: PostgreSQL restarted mid-load', server, book, actors, async () => {
        await sleep(500);
        execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'restart'], { stdio: 'ignore', timeout: 60_000 });
        for (let k = 0; k < 60; k++) {
          try {
            execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']);
            break;
          } catch { await sleep(500); }
        }
        await sleep(1_000);
      }, sqlDb);
      record('pg: the server recovered from the PostgreSQL restart without being restarted', server.pid === pid ? [] : ['the server process exited']);
    }

    await settlementKill(server, book, actors, sqlDb);
  } finally {
    if (process.env.FAULTS_SERVER_LOG) writeFileSync(process.env.FAULTS_SERVER_LOG, server.output);
    await server.kill('SIGKILL');
    const dropper = createPgDb({ url: PG_URL, poolMax: 1 });
    await dropper.query(sql.raw(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
    await dropper.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The settlement job killed midway, then run again: nothing is settled twice. Its cut-off is
 * the latest 00:00 Asia/Shanghai, so this run's own redemptions (all after it) are not in
 * scope; the kill still lands inside the job's transactions and its job_runs bookkeeping.
 */
async function settlementKill(server: ServerProcess, book: Book, actors: Actors, sqlDb: () => Promise<Db>): Promise<void> {
  for (let i = 1; i <= 2; i++) {
    await cycle(`pg: settlement job SIGKILLed midway #${i}`, server, book, actors, async () => {
      const run = call(server.url, 'POST', '/admin/jobs/settlement/run', { token: actors.admin });
      await sleep(Math.random() * 150);
      await server.kill('SIGKILL');
      await run;
    }, sqlDb);
    const first = await call(server.url, 'POST', '/admin/jobs/settlement/run', { token: actors.admin });
    const second = await call(server.url, 'POST', '/admin/jobs/settlement/run', { token: actors.admin });
    const violations: string[] = [];
    if (first.status !== 200 || first.body.status !== 'succeeded') violations.push(`re-run: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
    if (second.status !== 200 || second.body.rows !== 0) violations.push(`second re-run settled ${String(second.body.rows)} rows`);
    const db = await sqlDb();
    try {
      violations.push(...(await checkInSql(db, book)));
      if (violations.length > 0) {
        // what the database was doing when a check failed: the sessions that were not idle
        const busy = await db.query<Record<string, unknown>>(sql`SELECT pid, state, wait_event_type, wait_event,
          now() - xact_start AS xact_age, now() - state_change AS state_age, left(query, 200) AS query
          FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
        if (busy.length > 0) violations.push(`sessions not idle: ${JSON.stringify(busy).slice(0, 3000)}`);
      }
    } finally {
      await db.close();
    }
    record(`pg: settlement re-run after the kill #${i} settles nothing twice`, violations, `first re-run ${String(first.body.rows)} rows`);
  }
}

async function pgliteChecks(dataDir: string, book: Book): Promise<string[]> {
  const db = await createPgliteDb({ dataDir: path.join(dataDir, 'pg') });
  try {
    const report = await reconcile(db, systemClock);
    return [...(report.ok ? [] : [`reconcile: ${JSON.stringify(report.differences).slice(0, 500)}`]), ...(await checkInSql(db, book))];
  } finally {
    await db.close();
  }
}

async function pglitePhase(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hqt-faults-pglite-'));
  const server = new ServerProcess(await freePort(), { ...secretsEnv(), DATA_DIR: dataDir });
  const deadline = Date.now() + PHASE_MS_MAX;
  try {
    server.start();
    await server.waitReady(120_000);
    const actors = await setUp(server.url);
    const book = new Book();
    for (let i = 1; i <= KILLS && Date.now() < deadline; i++) {
      await cycle(`pglite: SIGKILL #${i} during writes, reopen`, server, book, actors, async () => {
        await sleep(200 + Math.random() * 1200);
        await server.kill('SIGKILL');
      }, null);
    }
    const second = new ServerProcess(await freePort(), { ...secretsEnv(), DATA_DIR: dataDir });
    second.start();
    const started = Date.now();
    const code = await Promise.race([second.exit, sleep(20_000).then(() => 'timeout' as const)]);
    await second.kill('SIGKILL');
    injected++;
    record('pglite: a second process on the same data directory fails fast', code === 1 && /in use by process \d+/.test(second.output) ? [] : [`exit ${String(code)}: ${second.output.slice(-500)}`], `${Date.now() - started} ms`);
    await server.kill('SIGTERM');
    const violations = await pgliteChecks(dataDir, book);
    // one committed write per acknowledged operation survived every kill
    record('pglite: after the last kill, the data directory holds every acknowledged write (SQL checks)', violations);
  } finally {
    await server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  if (ONLY !== 'pglite') await pgPhase().catch((err: Error) => record('pg phase', [err.stack ?? String(err)]));
  if (ONLY !== 'pg') await pglitePhase().catch((err: Error) => record('pglite phase', [err.stack ?? String(err)]));
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`\nfaults injected: ${injected}; checks: ${results.length}; ${Math.round((Date.now() - t0) / 1000)} s\n`);
  process.stdout.write(`faults: ${results.length - failed} passed, ${failed} failed\n`);
  process.exit(failed > 0 ? 1 : 0);
}

void main();
