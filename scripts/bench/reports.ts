/**
 * reports: 10,000,000 posted redemptions (bulk-loaded in SQL over the last 60 days, 1,000,000
 * per statement, triggers off for the loading session), the daily rollup job, then the
 * latency of GET /reports/overview and GET /reports/pools/:id over HTTP (the default 30 days,
 * and the full 60), median and p99 of sequential requests. The bulk rows have no journal (nor
 * redemption_keys rows) behind them, so this benchmark does not reconcile. Their months get
 * their partitions before the load, as the partitions job would have made them.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Db } from '../../server/src/platform/db';
import { findPool } from '../../server/src/capabilities/pools';
import { ensureMonthPartitions } from '../../server/src/jobs/partitions.job';
import {
  appendSummary, createBenchDatabase, load1, machine, median, openDb, round, say, serverEnv, startServer, waitForQuiet, writeResults,
  type BenchOptions,
} from './lib';
import { call, inProcessApp, insertMerchants, login, openPool, seedOrganisations, staff, VOUCHER_FEN } from './setup';

const LOAD_CHUNK = 1_000_000;
const DAYS = 60;
const VOUCHERS = 50_000;
const MERCHANTS = 200;
const REQUESTS = 30;

async function bulkRedemptions(db: Db, poolId: string, total: number): Promise<number> {
  const [p] = await db.query<{ issuer_id: string }>(sql`SELECT issuer_id FROM pools WHERE id = ${poolId}`);
  await ensureMonthPartitions(db, new Date(Date.now() - DAYS * 86_400_000), Math.ceil(DAYS / 28) + 1);
  const t0 = performance.now();
  for (let from = 1; from <= total; from += LOAD_CHUNK) {
    const to = Math.min(total, from + LOAD_CHUNK - 1);
    await db.transaction(async (tx) => {
      await tx.query(sql`SET LOCAL session_replication_role = replica`);
      await tx.query(sql`
        WITH v AS (SELECT row_number() OVER () - 1 AS i, id, holder_id FROM vouchers WHERE pool_id = ${poolId}),
             vn AS (SELECT count(*) AS n FROM v),
             m AS (SELECT row_number() OVER () - 1 AS i, o.id AS merchant_id, ms.user_id AS cashier_id FROM organisations o
                   JOIN memberships ms ON ms.org_id = o.id AND ms.role = 'merchant_cashier' WHERE o.type = 'merchant' AND o.name_zh LIKE '压测商户%'),
             mn AS (SELECT count(*) AS n FROM m)
        INSERT INTO redemptions (id, pool_id, issuer_id, voucher_id, merchant_id, holder_kind, holder_id, cashier_id, mode, status,
          order_amount_fen, discount_fen, balance_after_fen, order_ref, created_at, posted_at)
        SELECT gen_random_uuid(), ${poolId}::uuid, ${p!.issuer_id}::uuid, v.id, m.merchant_id, 'consumer', v.holder_id, m.cashier_id, 'direct', 'posted',
               30000 + (g % 50) * 1000, ${VOUCHER_FEN}, 0, 'r' || g, t.at, t.at
        FROM generate_series(${from}::bigint, ${to}::bigint) AS g
        CROSS JOIN vn CROSS JOIN mn
        JOIN v ON v.i = g % vn.n
        JOIN m ON m.i = g % mn.n
        CROSS JOIN LATERAL (SELECT now() - (((g * 7919) % (${DAYS} * 86400)) || ' seconds')::interval AS at) t`);
    });
    say(`    ${to.toLocaleString('en')} / ${total.toLocaleString('en')} redemptions (${round((performance.now() - t0) / 1000, 1)} s)`);
  }
  await db.query(sql`ANALYZE redemptions`);
  return round((performance.now() - t0) / 1000, 1);
}

async function timeRequests(base: string, token: string, path: string): Promise<{ p50Ms: number; p99Ms: number; status: number }> {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const res = await call(base, 'GET', path, token);
    times.push(performance.now() - t0);
    status = res.status;
  }
  times.sort((a, b) => a - b);
  return { p50Ms: round(median(times), 1), p99Ms: round(times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)] as number, 1), status };
}

export async function reportsBench(o: BenchOptions): Promise<void> {
  const total = Math.round(10_000_000 * o.scale);
  const bdb = await createBenchDatabase(o.databaseUrl);
  const db = openDb(bdb.url, 8);
  try {
    await seedOrganisations(db);
    const app = await inProcessApp(db, bdb.url);
    const poolId = await openPool(app.base, await staff(app.base), { budgetFen: VOUCHERS * VOUCHER_FEN });
    const pool = await findPool(db, poolId);
    for (let i = 0; i < VOUCHERS; i += 5000) {
      const reqs = Array.from({ length: 5000 }, () => ({ holder: { kind: 'consumer' as const, id: randomUUID() } }));
      await db.transaction((tx) => app.services.vouchers.issueMany(tx, pool!, reqs, new Date(), { source: 'claim', openOnly: true }));
    }
    // the vouchers date from before the redemptions, so the rollup covers every day of them
    await db.query(sql`UPDATE vouchers SET issued_at = now() - ${`${DAYS + 1} days`}::interval WHERE pool_id = ${poolId}`);
    await insertMerchants(db, MERCHANTS);
    say(`bulk-loading ${total.toLocaleString('en')} redemptions…`);
    const loadS = await bulkRedemptions(db, poolId, total);
    const t0 = performance.now();
    const rollup = await app.services.reports.rollUp();
    const rollupS = round((performance.now() - t0) / 1000, 1);
    await app.close();
    say(`  rollup of ${DAYS} days: ${rollupS} s (${JSON.stringify(rollup)})`);
    const runs = [];
    for (let r = 1; r <= o.runs; r++) {
      const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
      const server = await startServer({ env: serverEnv({ DATABASE_URL: bdb.url, LOG_LEVEL: o.logLevel }) });
      try {
        const token = await login(server.url, 'swj.auditor');
        const from60 = new Date(Date.now() - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
        const run = {
          overview: await timeRequests(server.url, token, '/reports/overview'),
          overview60: await timeRequests(server.url, token, `/reports/overview?from=${from60}`),
          pool: await timeRequests(server.url, token, `/reports/pools/${poolId}`),
          pool60: await timeRequests(server.url, token, `/reports/pools/${poolId}?from=${from60}`),
          loadBefore, loadAfter: load1(),
        };
        runs.push(run);
        say(`  run ${r}: overview p50 ${run.overview.p50Ms} ms (60 days ${run.overview60.p50Ms}), pool p50 ${run.pool.p50Ms} ms (60 days ${run.pool60.p50Ms}); statuses ${run.overview.status}/${run.pool.status}; load ${loadBefore}→${run.loadAfter}`);
      } finally {
        await server.stop();
      }
    }
    const summary = {
      redemptions: total, bulkLoadS: loadS, rollupS, target: 200,
      overviewP50Ms: median(runs.map((x) => x.overview.p50Ms)), overviewP99Ms: median(runs.map((x) => x.overview.p99Ms)),
      overview60P50Ms: median(runs.map((x) => x.overview60.p50Ms)),
      poolP50Ms: median(runs.map((x) => x.pool.p50Ms)), poolP99Ms: median(runs.map((x) => x.pool.p99Ms)), pool60P50Ms: median(runs.map((x) => x.pool60.p50Ms)),
    };
    const file = writeResults('reports', { options: o, machine: machine(), summary, runs });
    say(`reports: overview p50 ${summary.overviewP50Ms} ms / p99 ${summary.overviewP99Ms} ms, pool p50 ${summary.poolP50Ms} ms / p99 ${summary.poolP99Ms} ms (target ≤ 200) → ${file}`);
    if (o.record) {
      appendSummary(`${new Date().toISOString().slice(0, 16)} · reports · scale ${o.scale} (${total.toLocaleString('en')} redemptions over ${DAYS} days), ${runs.length} runs × ${REQUESTS} sequential requests, nproc ${machine().nproc}, `
        + `load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · bulk load ${loadS} s, rollup ${rollupS} s · overview **p50 ${summary.overviewP50Ms} ms**, p99 ${summary.overviewP99Ms} ms (60 days: p50 ${summary.overview60P50Ms}) · `
        + `pool report **p50 ${summary.poolP50Ms} ms**, p99 ${summary.poolP99Ms} ms (60 days: p50 ${summary.pool60P50Ms}) · target ≤ 200 ms`);
    }
  } finally {
    await db.close();
    await bdb.drop();
  }
}
