/**
 * pg-floor: what PostgreSQL itself allows on this machine, from node through plain `pg` (no
 * app code), 50 concurrent callers on a pool of 20 connections: round trips (SELECT 1), one
 * single-row INSERT per transaction (BEGIN; INSERT; COMMIT: three round trips and a commit),
 * the same INSERT autocommitted (one round trip and a commit), and 100 rows per transaction.
 * The server's paths are bounded by these: a path that needs k round trips and one commit per
 * request cannot beat them, which is why claims and redemptions batch (ADR 0003, 0006).
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { appendSummary, createBenchDatabase, load1, machine, median, round, say, waitForQuiet, writeResults, type BenchOptions } from './lib';

const CALLERS = 50;
const POOL = 20;
const SECONDS = 5;

/** Calls `step` from CALLERS concurrent callers for SECONDS; returns operations per second. */
async function rate(step: () => Promise<number>): Promise<number> {
  let ops = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (performance.now() < end) {
      const n = await step(); // not `ops += await step()`: that reads `ops` before the await and loses the others' counts
      ops += n;
    }
  }));
  return round(ops / ((performance.now() - t0) / 1000));
}

export async function pgFloorBench(o: BenchOptions): Promise<void> {
  const bdb = await createBenchDatabase(o.databaseUrl);
  const pool = new pg.Pool({ connectionString: bdb.url, max: POOL });
  const runs: { select1: number; insertTx: number; insertAuto: number; rows100Tx: number; loadBefore: number; loadAfter: number }[] = [];
  try {
    await pool.query('CREATE TABLE floor_rows (id bigserial PRIMARY KEY, v int NOT NULL)');
    for (let r = 1; r <= o.runs; r++) {
      const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
      const select1 = await rate(async () => { await pool.query('SELECT 1'); return 1; });
      const inTx = async (sqlText: string, n: number) => {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await c.query(sqlText);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
        return n;
      };
      const insertTx = await rate(() => inTx('INSERT INTO floor_rows (v) VALUES (1)', 1));
      const insertAuto = await rate(async () => { await pool.query('INSERT INTO floor_rows (v) VALUES (1)'); return 1; });
      const rows100Tx = await rate(() => inTx('INSERT INTO floor_rows (v) SELECT g FROM generate_series(1, 100) g', 100));
      const run = { select1, insertTx, insertAuto, rows100Tx, loadBefore, loadAfter: load1() };
      runs.push(run);
      say(`  run ${r}: SELECT 1 ${select1}/s, insert tx ${insertTx}/s, autocommit insert ${insertAuto}/s, 100-row tx ${rows100Tx} rows/s; load ${loadBefore}→${run.loadAfter}`);
    }
  } finally {
    await pool.end();
    await bdb.drop();
  }
  const summary = {
    select1: median(runs.map((x) => x.select1)), insertTx: median(runs.map((x) => x.insertTx)),
    insertAuto: median(runs.map((x) => x.insertAuto)), rows100Tx: median(runs.map((x) => x.rows100Tx)),
  };
  const file = writeResults('pg-floor', { options: o, machine: machine(), summary, runs });
  say(`pg-floor: SELECT 1 ${summary.select1}/s, insert tx ${summary.insertTx}/s, autocommit insert ${summary.insertAuto}/s, 100-row tx ${summary.rows100Tx} rows/s → ${file}`);
  if (o.record) {
    appendSummary(`${new Date().toISOString().slice(0, 16)} · pg-floor · ${CALLERS} callers, pool ${POOL}, ${o.runs} runs × ${SECONDS} s per figure, nproc ${machine().nproc}, load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · `
      + `SELECT 1 **${summary.select1.toLocaleString('en')}/s** · BEGIN; INSERT; COMMIT **${summary.insertTx.toLocaleString('en')} tx/s** · autocommit INSERT ${summary.insertAuto.toLocaleString('en')}/s · 100 rows per tx ${summary.rows100Tx.toLocaleString('en')} rows/s`);
  }
}
