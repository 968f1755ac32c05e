/**
 * The claim storm over HTTP, on the PostgreSQL server (claim-storm, optionally WORKERS=N) and
 * on embedded PGlite (embedded): per run the bare express hello first (the ceiling), then a
 * fresh server process, a fresh pool, the storm, the checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../server/src/platform/db';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { migrate } from '../../server/src/platform/migrate';
import {
  appendSummary, cpuLine, createBenchDatabase, load1, machine, measureHello, median, medianCpu, openDb, round, say, serverEnv, startServer,
  waitForQuiet, writeResults, type BenchOptions, type LoadResult,
} from './lib';
import { checkStorm, storm, type StormChecks, type StormResult } from './claim-storm';
import { consumerMembership, insertConsumers, openPool, seedOrganisations, signTokens, staff, VOUCHER_FEN } from './setup';
import { profileSummary } from './profile';

interface StormRun {
  hello: LoadResult;
  storm: StormResult;
  checks: StormChecks;
  rssMaxMiB: number;
  rssMaxPerProcessMiB: number;
  ratioRps: number;
  loadBefore: number;
  loadAfter: number;
  profile?: unknown;
}

interface StormSetup {
  /** server env for this run (database, workers) */
  env: Record<string, string>;
  /** checks run against this database, opened after the storm */
  checkDb(): Promise<{ db: Db; close(): Promise<void> }>;
  /** before the server starts (embedded: the runner must let go of PGlite) */
  beforeStart?(): Promise<void>;
}

async function oneRun(o: BenchOptions, r: number, setup: StormSetup, tokens: string[], capacity: number, connections: number): Promise<StormRun> {
  const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
  const hello = await measureHello(connections, 10, o.workers);
  await setup.beforeStart?.();
  const profileDir = path.join(os.tmpdir(), `hqt-prof-${process.pid}-${r}`);
  const server = await startServer({ env: setup.env, nodeArgs: o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
  let s: StormResult;
  try {
    const poolId = await openPool(server.url, await staff(server.url), { budgetFen: capacity * VOUCHER_FEN });
    server.startSampling();
    s = await storm(server.url, poolId, tokens, connections, `r${r}${Date.now().toString(36)}`, server.pid);
    server.stopSampling();
    await server.stop();
    const { db, close } = await setup.checkDb();
    try {
      const checks = await checkStorm(db, poolId, s, capacity);
      const run: StormRun = {
        hello, storm: s, checks, rssMaxMiB: server.rss.maxTotalMiB, rssMaxPerProcessMiB: server.rss.maxPerProcessMiB,
        ratioRps: round(s.load.rps / hello.rps, 2), loadBefore, loadAfter: load1(),
        ...(o.cpuProf ? { profile: profileSummary(profileDir, 25) } : {}),
      };
      say(`  run ${r}: ${s.successesPerS} successes/s, ${s.soldOutPerS} sold-out/s, ${s.load.rps} req/s (hello ${hello.rps} → ${run.ratioRps}), `
        + `p50 ${s.load.p50Ms} ms, p99 ${s.load.p99Ms} ms, RSS ${run.rssMaxMiB} MiB, checks ${checks.pass ? 'pass' : 'FAIL ' + JSON.stringify(checks)}, load ${loadBefore}→${run.loadAfter}`);
      say(`    storm ${cpuLine(s.load.cpu)}; hello ${cpuLine(hello.cpu)}`);
      return run;
    } finally {
      await close();
    }
  } finally {
    await server.stop();
    if (o.cpuProf) rmSync(profileDir, { recursive: true, force: true });
  }
}

function summarise(name: string, o: BenchOptions, runs: StormRun[], capacity: number, extra: Record<string, unknown>) {
  const summary = {
    capacity, holders: capacity * 2,
    successesPerS: median(runs.map((x) => x.storm.successesPerS)), soldOutPerS: median(runs.map((x) => x.storm.soldOutPerS)),
    rps: median(runs.map((x) => x.storm.load.rps)), helloRps: median(runs.map((x) => x.hello.rps)), ratio: median(runs.map((x) => x.ratioRps)),
    p50Ms: median(runs.map((x) => x.storm.load.p50Ms)), p99Ms: median(runs.map((x) => x.storm.load.p99Ms)),
    rssMaxMiB: Math.max(...runs.map((x) => x.rssMaxMiB)), checksPass: runs.every((x) => x.checks.pass), ...extra,
  };
  const cpu = { storm: medianCpu(runs.map((x) => x.storm.load.cpu)), hello: medianCpu(runs.map((x) => x.hello.cpu)) };
  const file = writeResults(name, { options: o, machine: machine(), summary: { ...summary, cpu }, runs });
  say(`${name}: median ${summary.successesPerS} successes/s, ${summary.soldOutPerS} sold-out/s, ${summary.rps} req/s = ${summary.ratio} × hello (${summary.helloRps}), `
    + `p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, RSS ≤ ${summary.rssMaxMiB} MiB, checks ${summary.checksPass ? 'pass' : 'FAIL'} → ${file}`);
  if (o.record) {
    appendSummary(`${new Date().toISOString().slice(0, 16)} · ${name} · scale ${o.scale} (${capacity.toLocaleString('en')} vouchers, ${(capacity * 2).toLocaleString('en')} holders), `
      + `workers ${o.workers}, ${o.runs} runs, nproc ${machine().nproc}, load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · `
      + `**${summary.successesPerS.toLocaleString('en')} successes/s**, ${summary.soldOutPerS.toLocaleString('en')} sold-out/s, ${summary.rps.toLocaleString('en')} req/s = **${summary.ratio} × hello** (${summary.helloRps.toLocaleString('en')} req/s same run), `
      + `p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, server RSS max ${summary.rssMaxMiB} MiB · checks ${summary.checksPass ? 'pass' : 'FAIL'}`
      + `${cpu.storm && cpu.hello ? ` · ${cpuLine(cpu.storm)}; hello: server ${cpu.hello.serverUs} µs, load generator ${cpu.hello.selfUs} µs` : ''}`,
    name === 'embedded' ? 'pglite' : 'postgres-server');
  }
  return summary;
}

export async function claimStormBench(o: BenchOptions): Promise<void> {
  const capacity = Math.round(200_000 * o.scale);
  const connections = 2000;
  const bdb = await createBenchDatabase(o.databaseUrl);
  const db = openDb(bdb.url);
  try {
    await seedOrganisations(db);
    say(`inserting ${capacity * 2} holders and signing their tokens…`);
    const tokens = signTokens(await insertConsumers(db, capacity * 2), consumerMembership);
    const setup: StormSetup = {
      env: serverEnv({ DATABASE_URL: bdb.url, WORKERS: String(o.workers), LOG_LEVEL: o.logLevel }),
      checkDb: async () => ({ db, close: async () => undefined }),
    };
    const runs: StormRun[] = [];
    for (let r = 1; r <= o.runs; r++) runs.push(await oneRun(o, r, setup, tokens, capacity, connections));
    summarise(o.workers > 1 ? `claim-storm-workers${o.workers}` : 'claim-storm', o, runs, capacity, { connections, workers: o.workers });
  } finally {
    await db.close();
    await bdb.drop();
  }
}

/** The claim storm on embedded PGlite: a pool of 20,000 (× scale), 40,000 holders, 500 connections. */
export async function embeddedBench(o: BenchOptions): Promise<void> {
  const capacity = Math.round(20_000 * o.scale);
  const connections = 500;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hqt-bench-pglite-'));
  const pgDir = path.join(dataDir, 'pg');
  try {
    let db = await createPgliteDb({ dataDir: pgDir });
    await migrate(db);
    await seedOrganisations(db);
    say(`inserting ${capacity * 2} holders into PGlite and signing their tokens…`);
    const tokens = signTokens(await insertConsumers(db, capacity * 2), consumerMembership);
    await db.close();
    const setup: StormSetup = {
      env: serverEnv({ DATA_DIR: dataDir, LOG_LEVEL: o.logLevel }),
      checkDb: async () => {
        db = await createPgliteDb({ dataDir: pgDir });
        return { db, close: () => db.close() };
      },
    };
    const runs: StormRun[] = [];
    for (let r = 1; r <= o.runs; r++) runs.push(await oneRun(o, r, setup, tokens, capacity, connections));
    summarise('embedded', o, runs, capacity, { connections, target: 1000 });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
