/**
 * claim-engine: the claim service called in-process (no HTTP): 2,000 concurrent callers,
 * each claiming with a new holder until the pool of 200,000 vouchers is sold out. Also an
 * exactness probe: when demand equals the budget, no caller may ever be told "sold out".
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Role } from '@hqt/shared';
import type { Services } from '../../server/src/app/create-app';
import { systemClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { reconcile } from '../../server/src/capabilities/ledger';
import type { Actor } from '../../server/src/capabilities/identity';
import { createBenchDatabase, cpuPerOp, cpuSnapshot, load1, machine, median, openDb, round, say, waitForQuiet, writeResults, appendSummary, type BenchOptions, type CpuPerOp } from './lib';
import { profileSummary, profileWhile } from './profile';
import { inProcessApp, openPool, seedOrganisations, staff, VOUCHER_FEN } from './setup';

const CALLERS = 2000;

function consumer(): Actor {
  return { userId: randomUUID(), memberships: [{ orgId: null, role: 'consumer' as Role }] };
}

interface EngineRun {
  successes: number;
  soldOut: number;
  other: Record<string, number>;
  seconds: number;
  claimsPerS: number;
  issued: number;
  overSold: boolean;
  /** CPU per successful claim over the storm: this process (the claim service) and PostgreSQL */
  cpu: CpuPerOp;
}

/** CALLERS loops, each claiming with fresh holders until told the pool is sold out (or `perCaller` claims). */
async function drive(services: Services, poolId: string, perCaller: number): Promise<Omit<EngineRun, 'issued' | 'overSold' | 'cpu'>> {
  let successes = 0;
  let soldOut = 0;
  const other: Record<string, number> = {};
  let lastSuccess = 0;
  let done = false;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    for (let i = 0; i < perCaller && !done; i++) {
      const answer = await services.vouchers.claim(consumer(), poolId, randomUUID(), {});
      const code = (answer.body as { code?: string }).code;
      if (answer.status === 201) {
        successes++;
        lastSuccess = performance.now();
      } else if (code === 'POOL_EXHAUSTED') {
        soldOut++;
        done = true;
      } else other[code ?? String(answer.status)] = (other[code ?? String(answer.status)] ?? 0) + 1;
    }
  }));
  const seconds = (lastSuccess - t0) / 1000;
  return { successes, soldOut, other, seconds: round(seconds, 2), claimsPerS: round(successes / seconds) };
}

async function issuedIn(db: Db, poolId: string): Promise<{ n: number; available_fen: number }> {
  const [row] = await db.query<{ n: number; available_fen: number }>(sql`SELECT (SELECT count(*) FROM vouchers WHERE pool_id = ${poolId})::int AS n,
    (SELECT available_fen FROM pools WHERE id = ${poolId}) AS available_fen`);
  return row as { n: number; available_fen: number };
}

/** CLAIM_* settings from the environment (e.g. CLAIM_BATCH_MAX=1000), for trying batch sizes; the defaults otherwise. */
function claimSettingsFromEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('CLAIM_') && e[1] !== undefined));
}

export async function claimEngineBench(o: BenchOptions): Promise<void> {
  const capacity = Math.round(200_000 * o.scale);
  const probeCapacity = Math.max(1, Math.round((20_000 * o.scale) / CALLERS)) * CALLERS;
  const bdb = await createBenchDatabase(o.databaseUrl);
  const db = openDb(bdb.url, 20);
  const app = await inProcessApp(db, bdb.url, claimSettingsFromEnv());
  const { services } = app;
  const base = app.base;
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'hqt-claim-engine-prof-'));
  const runs: (EngineRun & { loadBefore: number; loadAfter: number; probe: { successes: number; soldOut: number; pass: boolean } })[] = [];
  try {
    await seedOrganisations(db);
    const s = await staff(base);
    for (let r = 1; r <= o.runs; r++) {
      const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
      const poolId = await openPool(base, s, { budgetFen: capacity * VOUCHER_FEN });
      const cpuBefore = cpuSnapshot();
      const storm = () => drive(services, poolId, Number.MAX_SAFE_INTEGER);
      const driven = o.cpuProf ? await profileWhile(profileDir, storm) : await storm();
      const run = { ...driven, cpu: cpuPerOp(cpuBefore, cpuSnapshot(), driven.successes) };
      const stored = await issuedIn(db, poolId);
      const probePool = await openPool(base, s, { budgetFen: probeCapacity * VOUCHER_FEN });
      const probe = await drive(services, probePool, probeCapacity / CALLERS);
      const probeStored = await issuedIn(db, probePool);
      const entry = {
        ...run, issued: stored.n, overSold: stored.n > capacity || run.successes !== stored.n, loadBefore, loadAfter: load1(),
        probe: { successes: probe.successes, soldOut: probe.soldOut, pass: probe.soldOut === 0 && probe.successes === probeCapacity && probeStored.n === probeCapacity },
      };
      runs.push(entry);
      say(`  run ${r}: ${entry.claimsPerS} claims/s (${entry.successes} in ${entry.seconds} s), issued ${entry.issued}/${capacity}, probe ${entry.probe.pass ? 'ok' : 'FAILED'}, `
        + `CPU per claim: node ${entry.cpu.selfUs} µs, PostgreSQL ${entry.cpu.postgresUs} µs, idle ${entry.cpu.idleUs} µs, load ${loadBefore}→${entry.loadAfter}`);
    }
    const profile = o.cpuProf ? profileSummary(profileDir, 30) : null;
    if (profile) say(`  profile of the storms: ${JSON.stringify(profile)}`);
    const report = await reconcile(db, systemClock, {});
    const summary = {
      claimsPerS: median(runs.map((x) => x.claimsPerS)), target: 40_000,
      cpuPerClaimUs: { node: median(runs.map((x) => x.cpu.selfUs)), postgres: median(runs.map((x) => x.cpu.postgresUs)), idle: median(runs.map((x) => x.cpu.idleUs)) }, capacity, callers: CALLERS,
      zeroOversell: runs.every((x) => !x.overSold && x.issued === capacity), probeNeverSoldOutEarly: runs.every((x) => x.probe.pass),
      reconcileClean: report.ok, batching: { defaults: 'on, 500 per batch, 2 in flight', overrides: claimSettingsFromEnv() },
    };
    const file = writeResults('claim-engine', { options: o, machine: machine(), summary, runs, ...(profile ? { profile } : {}) });
    say(`claim-engine: median ${summary.claimsPerS} claims/s (target ≥ 40,000); zero oversell ${summary.zeroOversell}; probe ${summary.probeNeverSoldOutEarly}; reconcile ${report.ok ? 'clean' : 'DIFFERENCES'} → ${file}`);
    if (o.record) {
      appendSummary(`${new Date().toISOString().slice(0, 16)} · claim-engine · scale ${o.scale}, ${o.runs} runs, nproc ${machine().nproc}, load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · `
        + `**${summary.claimsPerS.toLocaleString('en')} claims/s** median (target ≥ 40,000) · CPU per claim: node ${summary.cpuPerClaimUs.node} µs, PostgreSQL ${summary.cpuPerClaimUs.postgres} µs, idle ${summary.cpuPerClaimUs.idle} µs · zero oversell: ${summary.zeroOversell} · exact-demand probe never sold out early: ${summary.probeNeverSoldOutEarly} · reconcile clean: ${report.ok}`);
    }
  } finally {
    await app.close();
    await db.close();
    await bdb.drop();
    rmSync(profileDir, { recursive: true, force: true });
  }
}
