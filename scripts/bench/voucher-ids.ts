/**
 * voucher-ids: random (UUIDv4) against time-ordered (UUIDv7, platform/ids.ts) voucher ids
 * (ADR 0009). The vouchers table is first filled with 2,000,000 vouchers (× --scale) with
 * random ids, as a programme's table holds after a season; then each round starts with a
 * CHECKPOINT and INSERTs two batches of 5,000 vouchers with every index of the table, one
 * with ids from `randomUUID`, one with ids from `timeOrderedId`, the order alternating per
 * round. Everything else in the rows is random as in production (codes, holders, source
 * references). Figures per way: the median milliseconds per INSERT and the median bytes of
 * write-ahead log it wrote (`pg_current_wal_lsn` before and after; the first write of a page
 * after a checkpoint logs the whole page).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from '../../server/src/platform/db';
import { timeOrderedId } from '../../server/src/platform/ids';
import {
  appendSummary, createBenchDatabase, load1, machine, median, openDb, round, say, waitForQuiet, writeResults, type BenchOptions,
} from './lib';
import { benchLotteryPool, VOUCHER_FEN } from './setup';

const BATCH = 5000;
const ROUNDS = 8;
const PREFILL = 2_000_000;
const PREFILL_CHUNK = 250_000;

type Way = 'random' | 'timeOrdered';

export async function voucherIdsBench(o: BenchOptions): Promise<void> {
  const bdb = await createBenchDatabase(o.databaseUrl);
  const db = openDb(bdb.url, 2);
  const prefill = Math.max(BATCH, Math.round(PREFILL * o.scale));
  try {
    const pool = await benchLotteryPool(db, bdb.url);
    const columns = `INSERT INTO vouchers (id, code, pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen,
      valid_from, valid_until, status, source, source_ref, issued_at, updated_at)`;
    const rest = `upper(substr(md5(random()::text), 1, 16)) || '0', '${pool.id}', '${pool.issuer_id}', 'consumer', gen_random_uuid(),
      ${VOUCHER_FEN}, ${VOUCHER_FEN}, now(), now() + interval '30 days', 'active', 'lottery', gen_random_uuid()::text, now(), now()`;
    say(`filling the vouchers table with ${prefill.toLocaleString('en')} vouchers with random ids…`);
    const t0 = performance.now();
    for (let done = 0; done < prefill; done += PREFILL_CHUNK) {
      await db.withConnection((c) => c.exec(`${columns} SELECT gen_random_uuid(), ${rest} FROM generate_series(1, ${Math.min(PREFILL_CHUNK, prefill - done)})`));
    }
    await db.withConnection((c) => c.exec('VACUUM (ANALYZE) vouchers'));
    say(`  filled in ${round((performance.now() - t0) / 1000, 1)} s`);

    const runs: { randomMs: number; timeOrderedMs: number; randomWalKiB: number; timeOrderedWalKiB: number; ratio: number; loadBefore: number; loadAfter: number }[] = [];
    for (let r = 1; r <= o.runs; r++) {
      const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
      const ms: Record<Way, number[]> = { random: [], timeOrdered: [] };
      const wal: Record<Way, number[]> = { random: [], timeOrdered: [] };
      await db.withConnection(async (c) => {
        for (let i = 0; i < ROUNDS; i++) {
          await c.exec('CHECKPOINT');
          for (const way of i % 2 === 0 ? ['random', 'timeOrdered'] as const : ['timeOrdered', 'random'] as const) {
            const ids = Array.from({ length: BATCH }, way === 'random' ? () => randomUUID() : () => timeOrderedId());
            const [before] = await c.query<{ lsn: string }>(sql`SELECT pg_current_wal_lsn()::text AS lsn`);
            const t = performance.now();
            await c.query(sql`${sql.raw(columns)} SELECT x.id, ${sql.raw(rest)} FROM unnest(${sql.param(ids)}::uuid[]) AS x (id)`);
            ms[way].push(performance.now() - t);
            const [after] = await c.query<{ bytes: string }>(sql`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${before?.lsn}::pg_lsn)::text AS bytes`);
            wal[way].push(Number(after?.bytes) / 1024);
          }
        }
      });
      const run = {
        randomMs: round(median(ms.random), 1), timeOrderedMs: round(median(ms.timeOrdered), 1),
        randomWalKiB: round(median(wal.random)), timeOrderedWalKiB: round(median(wal.timeOrdered)), ratio: 0, loadBefore, loadAfter: load1(),
      };
      run.ratio = round(run.timeOrderedMs / run.randomMs, 2);
      runs.push(run);
      say(`  run ${r}: ${BATCH} vouchers per INSERT after a checkpoint: random ids ${run.randomMs} ms, ${run.randomWalKiB} KiB of WAL; `
        + `time-ordered ids ${run.timeOrderedMs} ms, ${run.timeOrderedWalKiB} KiB (median of ${ROUNDS} each)`);
    }
    const summary = {
      prefill, randomMs: median(runs.map((x) => x.randomMs)), timeOrderedMs: median(runs.map((x) => x.timeOrderedMs)),
      randomWalKiB: median(runs.map((x) => x.randomWalKiB)), timeOrderedWalKiB: median(runs.map((x) => x.timeOrderedWalKiB)),
      ratio: median(runs.map((x) => x.ratio)),
    };
    const file = writeResults('voucher-ids', { options: o, machine: machine(), summary, runs });
    say(`voucher-ids: ${summary.timeOrderedMs} ms with time-ordered ids against ${summary.randomMs} ms with random ids (${summary.ratio} ×); `
      + `WAL ${summary.timeOrderedWalKiB} against ${summary.randomWalKiB} KiB → ${file}`);
    if (o.record) {
      appendSummary(`${new Date().toISOString().slice(0, 16)} · voucher-ids · ${o.runs} runs × ${ROUNDS} rounds of ${BATCH.toLocaleString('en')} vouchers per INSERT `
        + `into ${prefill.toLocaleString('en')}${o.scale !== 1 ? ` (scale ${o.scale})` : ''}, a checkpoint before each round, nproc ${machine().nproc}, `
        + `load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · **${summary.timeOrderedMs} ms** and ${summary.timeOrderedWalKiB.toLocaleString('en')} KiB of WAL `
        + `per INSERT with time-ordered ids against ${summary.randomMs} ms and ${summary.randomWalKiB.toLocaleString('en')} KiB with random ids = **${summary.ratio} ×** (ADR 0009)`);
    }
  } finally {
    await db.close();
    await bdb.drop();
  }
}
