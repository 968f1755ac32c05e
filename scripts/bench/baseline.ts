/**
 * baseline: the bare express 5 "hello" (scripts/bench/hello-server.cjs), a child process like
 * the server, at 200 and 2,000 connections: the ceiling every HTTP ratio is taken against
 * (each HTTP benchmark measures it again in its own runs). For reference, the server's own
 * GET /api/v1/health through the full middleware chain.
 */
import {
  appendSummary, createBenchDatabase, load, load1, machine, measureHello, median, say, serverEnv, startServer, waitForQuiet,
  writeResults, type BenchOptions,
} from './lib';

export async function baselineBench(o: BenchOptions): Promise<void> {
  const bdb = await createBenchDatabase(o.databaseUrl);
  const runs: { hello200: number; hello2000: number; health200: number; p99Hello200: number; loadBefore: number; loadAfter: number }[] = [];
  try {
    for (let r = 1; r <= o.runs; r++) {
      const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
      const h200 = await measureHello(200, 10, o.workers);
      const h2000 = await measureHello(2000, 10, o.workers);
      const server = await startServer({ env: serverEnv({ DATABASE_URL: bdb.url, WORKERS: String(o.workers), LOG_LEVEL: o.logLevel }) });
      let health;
      try {
        await load({ url: server.url + '/api/v1/health', connections: 200, duration: 2 });
        health = await load({ url: server.url + '/api/v1/health', connections: 200, duration: 10 });
      } finally {
        await server.stop();
      }
      const run = { hello200: h200.rps, hello2000: h2000.rps, health200: health.rps, p99Hello200: h200.p99Ms, loadBefore, loadAfter: load1() };
      runs.push(run);
      say(`  run ${r}: hello ${run.hello200} req/s (200 conns), ${run.hello2000} (2,000), /api/v1/health ${run.health200}; load ${loadBefore}→${run.loadAfter}`);
    }
  } finally {
    await bdb.drop();
  }
  const summary = {
    hello200: median(runs.map((x) => x.hello200)), hello2000: median(runs.map((x) => x.hello2000)),
    health200: median(runs.map((x) => x.health200)), workers: o.workers,
  };
  const file = writeResults('baseline', { options: o, machine: machine(), summary, runs });
  say(`baseline: hello ${summary.hello200} req/s at 200 connections, ${summary.hello2000} at 2,000; /api/v1/health ${summary.health200} → ${file}`);
  if (o.record) {
    appendSummary(`${new Date().toISOString().slice(0, 16)} · baseline · workers ${o.workers}, ${o.runs} runs, nproc ${machine().nproc}, load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · `
      + `express hello **${summary.hello200.toLocaleString('en')} req/s** (200 connections), ${summary.hello2000.toLocaleString('en')} (2,000) · full-chain GET /api/v1/health ${summary.health200.toLocaleString('en')} req/s`);
  }
}
