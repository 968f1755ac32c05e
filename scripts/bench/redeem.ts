/**
 * redeem: 200,000 active consumer vouchers (满300减90), the cashiers of 200 merchants
 * redeeming them at full speed over 200 connections, 5% of requests replays of an earlier
 * one (same Idempotency-Key and body: the stored answer comes back). Each voucher's dynamic
 * token is computed as the holder's wallet would, at the moment of the request. Reports
 * redemptions/s, p50 and p99 against the bare express hello in the same run; checks that
 * every answered redemption is stored once and that the ledger reconciles.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Role } from '@hqt/shared';
import { systemClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { reconcile } from '../../server/src/capabilities/ledger';
import { findPool } from '../../server/src/capabilities/pools';
import { QrTokens } from '../../server/src/capabilities/vouchers';
import {
  appendSummary, cpuLine, createBenchDatabase, load, load1, machine, measureHello, median, medianCpu, openDb, round, say, SECRETS, serverEnv,
  startServer, waitForQuiet, writeResults, type BenchOptions, type LoadResult,
} from './lib';
import { profileSummary } from './profile';
import { inProcessApp, insertMerchants, openPool, seedOrganisations, signTokens, staff, VOUCHER_FEN, type InProcessApp } from './setup';

const CONNECTIONS = 200;
const MERCHANTS = 200;
const REPLAY_SHARE = 0.05;
const RUN_SECONDS = 30;
const ISSUE_CHUNK = 5000;

interface Wallet {
  id: string;
  code: string;
}

/** Issues `n` vouchers of the pool to `n` synthetic consumers, 5,000 per transaction (the batch issue path). */
async function issueVouchers(db: Db, app: InProcessApp, poolId: string, n: number): Promise<Wallet[]> {
  const pool = await findPool(db, poolId);
  if (!pool) throw new Error('pool vanished');
  const out: Wallet[] = [];
  for (let start = 0; start < n; start += ISSUE_CHUNK) {
    const reqs = Array.from({ length: Math.min(ISSUE_CHUNK, n - start) }, () => ({ holder: { kind: 'consumer' as const, id: randomUUID() } }));
    const result = await db.transaction((tx) => app.services.vouchers.issueMany(tx, pool, reqs, new Date(), { source: 'claim', openOnly: true }));
    for (const o of result.outcomes) if (o.voucher) out.push({ id: o.voucher.id, code: o.voucher.code });
  }
  return out;
}

interface Sent {
  cashier: string;
  key: string;
  body: string;
}

interface RedeemRun {
  hello: LoadResult;
  load: LoadResult;
  redemptions: number;
  replays: number;
  otherCodes: Record<string, number>;
  redemptionsPerS: number;
  ratioRps: number;
  stored: number;
  /** every answered redemption is stored, and stored ones nobody heard about are at most the requests cut off at the end */
  storedMatches: boolean;
  answeredNotStored: number;
  storedNotAnswered: number;
  profile?: unknown;
  /** the run went past the last fresh voucher and wrapped round to spent ones: its figures count refusals, not redemptions */
  ranOut: boolean;
  loadBefore: number;
  loadAfter: number;
}

async function oneRun(o: BenchOptions, dbUrl: string, wallets: Wallet[], from: number, cashiers: { token: string }[]): Promise<{ run: RedeemRun; used: number }> {
  const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
  const hello = await measureHello(CONNECTIONS, 10, o.workers);
  const profileDir = path.join(os.tmpdir(), `hqt-prof-redeem-${process.pid}-${from}`);
  const server = await startServer({
    env: serverEnv({ DATABASE_URL: dbUrl, WORKERS: String(o.workers), LOG_LEVEL: o.logLevel, RATE_LIMIT_REDEMPTIONS: '1000000' }),
    nodeArgs: o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const qr = new QrTokens(SECRETS.qr);
  const sent: Sent[] = [];
  let next = from;
  let redemptions = 0;
  let replays = 0;
  const answered = new Set<string>();
  const otherCodes: Record<string, number> = {};
  const t0 = performance.now();
  let run: RedeemRun | undefined;
  try {
    const result = await load({
      url: server.url, connections: CONNECTIONS, duration: RUN_SECONDS,
      requests: [{
        method: 'POST',
        setupRequest: (req) => {
          let s: Sent;
          if (sent.length > 100 && Math.random() < REPLAY_SHARE) s = sent[Math.floor(Math.random() * sent.length)] as Sent;
          else {
            const w = wallets[next % wallets.length] as Wallet;
            const token = qr.dynamicToken({ id: w.id, code: w.code, holderKind: 'consumer' }, Date.now());
            s = { cashier: (cashiers[next % cashiers.length] as { token: string }).token, key: randomUUID(), body: JSON.stringify({ token, orderAmountFen: 30_000, orderRef: `b${next}` }) };
            next++;
            if (sent.length < 20_000) sent.push(s);
            else sent[Math.floor(Math.random() * sent.length)] = s;
          }
          return { ...req, method: 'POST', path: '/api/v1/redemptions', body: s.body,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${s.cashier}`, 'idempotency-key': s.key } };
        },
        onResponse: (status, body, _ctx, headers) => {
          const replayed = Object.entries(headers).some(([k, v]) => k.toLowerCase() === 'idempotent-replayed' && v === 'true');
          if (status === 201 && replayed) replays++;
          else if (status === 201) {
            redemptions++;
            const ref = /"orderRef":"(b\d+)"/.exec(body)?.[1];
            if (ref) answered.add(ref);
          }
          else {
            const code = /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? String(status);
            otherCodes[code] = (otherCodes[code] ?? 0) + 1;
          }
        },
      }],
    }, server.pid);
    const seconds = (performance.now() - t0) / 1000;
    const db = openDb(dbUrl, 2);
    const storedRows = await db.query<{ order_ref: string }>(sql`
      SELECT order_ref FROM redemptions WHERE order_ref LIKE 'b%' AND substr(order_ref, 2)::int >= ${from}`);
    await db.close();
    const stored = new Set(storedRows.map((x) => x.order_ref));
    const answeredNotStored = [...answered].filter((x) => !stored.has(x)).length;
    const storedNotAnswered = [...stored].filter((x) => !answered.has(x)).length;
    run = {
      hello, load: result, redemptions, replays, otherCodes, redemptionsPerS: round(redemptions / seconds), ratioRps: round(result.rps / hello.rps, 2),
      stored: stored.size, storedMatches: answeredNotStored === 0 && storedNotAnswered <= CONNECTIONS, answeredNotStored, storedNotAnswered,
      ranOut: next > wallets.length, loadBefore, loadAfter: load1(),
    };
    return { run, used: next - from };
  } finally {
    await server.stop();
    if (o.cpuProf) {
      if (run) run.profile = profileSummary(profileDir, 25);
      rmSync(profileDir, { recursive: true, force: true });
    }
  }
}

export async function redeemBench(o: BenchOptions): Promise<void> {
  const voucherCount = Math.round(200_000 * o.scale);
  const bdb = await createBenchDatabase(o.databaseUrl);
  const db = openDb(bdb.url, 8);
  const runs: RedeemRun[] = [];
  try {
    await seedOrganisations(db);
    const app = await inProcessApp(db, bdb.url);
    const poolId = await openPool(app.base, await staff(app.base), { budgetFen: voucherCount * VOUCHER_FEN, perHolderMax: 1 });
    say(`issuing ${voucherCount} vouchers, adding ${MERCHANTS} merchants' cashiers…`);
    const wallets = await issueVouchers(db, app, poolId, voucherCount);
    await app.close();
    const merchants = await insertMerchants(db, MERCHANTS);
    const cashiers = signTokens(merchants.map((m) => m.cashierId), (id) => {
      const m = merchants.find((x) => x.cashierId === id) as { merchantId: string };
      return [[m.merchantId, 'merchant_cashier' as Role]];
    }).map((token) => ({ token }));
    let from = 0;
    for (let r = 1; r <= o.runs; r++) {
      const { run, used } = await oneRun(o, bdb.url, wallets, from, cashiers);
      from += used;
      runs.push(run);
      say(`  run ${r}: ${run.redemptionsPerS} redemptions/s (+${run.replays} replays), ${run.load.rps} req/s (hello ${run.hello.rps} → ${run.ratioRps}), `
        + `p50 ${run.load.p50Ms} ms, p99 ${run.load.p99Ms} ms, other ${JSON.stringify(run.otherCodes)}, stored ${run.storedMatches ? 'matches' : 'MISMATCH'} (${run.answeredNotStored} answered not stored, ${run.storedNotAnswered} cut off at the end), load ${run.loadBefore}→${run.loadAfter}${run.ranOut ? ' — RAN OUT of fresh vouchers (try a larger --scale)' : ''}`);
      say(`    redeem ${cpuLine(run.load.cpu)}; hello ${cpuLine(run.hello.cpu)}`);
      if (from >= wallets.length) break;
    }
    const report = await reconcile(db, systemClock, {});
    // a run that ran out of fresh vouchers is left out of the medians (unless every run did)
    const fresh = runs.filter((x) => !x.ranOut);
    const counted = fresh.length > 0 ? fresh : runs;
    const leftOut = runs.length - counted.length;
    const note = fresh.length === 0 ? '; EVERY run ran out of fresh vouchers: the figures count refusals (try a larger --scale)'
      : leftOut > 0 ? `; ${leftOut} run(s) ran out of fresh vouchers and are left out of the medians` : '';
    const summary = {
      vouchers: voucherCount, merchants: MERCHANTS, connections: CONNECTIONS, replayShare: REPLAY_SHARE,
      redemptionsPerS: median(counted.map((x) => x.redemptionsPerS)), rps: median(counted.map((x) => x.load.rps)),
      helloRps: median(counted.map((x) => x.hello.rps)), ratio: median(counted.map((x) => x.ratioRps)),
      p50Ms: median(counted.map((x) => x.load.p50Ms)), p99Ms: median(counted.map((x) => x.load.p99Ms)),
      storedMatches: runs.every((x) => x.storedMatches), reconcileClean: report.ok, runsLeftOut: leftOut,
    };
    const cpu = { redeem: medianCpu(counted.map((x) => x.load.cpu)), hello: medianCpu(counted.map((x) => x.hello.cpu)) };
    const file = writeResults('redeem', { options: o, machine: machine(), summary: { ...summary, cpu }, runs });
    say(`redeem: median ${summary.redemptionsPerS} redemptions/s, ${summary.rps} req/s = ${summary.ratio} × hello (${summary.helloRps}), p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, reconcile ${report.ok ? 'clean' : 'DIFFERENCES'}${note} → ${file}`);
    if (o.record) {
      appendSummary(`${new Date().toISOString().slice(0, 16)} · redeem · scale ${o.scale} (${voucherCount.toLocaleString('en')} vouchers), ${MERCHANTS} cashiers, ${CONNECTIONS} connections, 5% replays, workers ${o.workers}, ${runs.length} runs × ${RUN_SECONDS} s, `
        + `nproc ${machine().nproc}, load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · **${summary.redemptionsPerS.toLocaleString('en')} redemptions/s**, `
        + `${summary.rps.toLocaleString('en')} req/s = **${summary.ratio} × hello** (${summary.helloRps.toLocaleString('en')}), p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms · stored = answered: ${summary.storedMatches} · reconcile clean: ${report.ok}${note}`
        + `${cpu.redeem && cpu.hello ? ` · ${cpuLine(cpu.redeem)}; hello: server ${cpu.hello.serverUs} µs, load generator ${cpu.hello.selfUs} µs` : ''}`);
    }
  } finally {
    await db.close();
    await bdb.drop();
  }
}
