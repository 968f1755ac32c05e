/**
 * voucher-insert: one issuance statement on its own (ADR 0008). In ONE transaction, rolled
 * back at the end, INSERTs of 5,000 vouchers of one pool alternate between the two ways of
 * checking their references: the statement trigger `vouchers_references` (migration 0014,
 * what runs) and the foreign keys it replaced (pool, issuer, provider), added back NOT VALID
 * for the comparison. The order alternates every round so neither way always goes first on a
 * bigger table. Figures: the median milliseconds per statement of each way and their ratio.
 */
import { performance } from 'node:perf_hooks';
import {
  appendSummary, createBenchDatabase, load1, machine, median, openDb, round, say, waitForQuiet, writeResults, type BenchOptions,
} from './lib';
import { benchLotteryPool, VOUCHER_FEN } from './setup';

const BATCH = 5000;
const ROUNDS = 12;

export async function voucherInsertBench(o: BenchOptions): Promise<void> {
  const bdb = await createBenchDatabase(o.databaseUrl);
  const db = openDb(bdb.url, 2);
  try {
    const pool = await benchLotteryPool(db, bdb.url);
    const runs: { statementMs: number; foreignKeysMs: number; ratio: number; loadBefore: number; loadAfter: number }[] = [];
    for (let r = 1; r <= o.runs; r++) {
      const loadBefore = await waitForQuiet(o.quietWaitS, o.quietLoad, say);
      let offset = 0;
      const insert = () => {
        offset += BATCH;
        return `INSERT INTO vouchers (id, code, pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen,
          valid_from, valid_until, status, source, source_ref, issued_at, updated_at)
          SELECT gen_random_uuid(), lpad(upper(to_hex(${offset} + g)), 16, '0') || '0', '${pool.id}', '${pool.issuer_id}', 'consumer',
            gen_random_uuid(), ${VOUCHER_FEN}, ${VOUCHER_FEN}, now(), now() + interval '30 days', 'active', 'lottery', 'b' || (${offset} + g),
            now(), now()
          FROM generate_series(1, ${BATCH}) g`;
      };
      const times = { statement: [] as number[], foreignKeys: [] as number[] };
      await db.withConnection(async (c) => {
        await c.exec('BEGIN');
        try {
          await c.exec(`ALTER TABLE vouchers ADD CONSTRAINT bench_pool_fk FOREIGN KEY (pool_id) REFERENCES pools (id) NOT VALID;
            ALTER TABLE vouchers ADD CONSTRAINT bench_issuer_fk FOREIGN KEY (issuer_id) REFERENCES organisations (id) NOT VALID;
            ALTER TABLE vouchers ADD CONSTRAINT bench_provider_fk FOREIGN KEY (provider_id) REFERENCES organisations (id) NOT VALID;`);
          for (let i = 0; i < ROUNDS; i++) {
            for (const way of i % 2 === 0 ? ['statement', 'foreignKeys'] as const : ['foreignKeys', 'statement'] as const) {
              await c.exec(way === 'foreignKeys'
                ? 'ALTER TABLE vouchers ENABLE TRIGGER ALL; ALTER TABLE vouchers DISABLE TRIGGER vouchers_references;'
                : 'ALTER TABLE vouchers DISABLE TRIGGER ALL; ALTER TABLE vouchers ENABLE TRIGGER vouchers_references;');
              const t0 = performance.now();
              await c.exec(insert());
              times[way].push(performance.now() - t0);
            }
          }
        } finally {
          await c.exec('ROLLBACK');
        }
      });
      const statementMs = round(median(times.statement), 1);
      const foreignKeysMs = round(median(times.foreignKeys), 1);
      runs.push({ statementMs, foreignKeysMs, ratio: round(statementMs / foreignKeysMs, 2), loadBefore, loadAfter: load1() });
      say(`  run ${r}: ${BATCH} vouchers per INSERT: statement trigger ${statementMs} ms, foreign keys ${foreignKeysMs} ms (median of ${ROUNDS} each)`);
    }
    const summary = {
      statementMs: median(runs.map((x) => x.statementMs)), foreignKeysMs: median(runs.map((x) => x.foreignKeysMs)),
      ratio: median(runs.map((x) => x.ratio)),
    };
    const file = writeResults('voucher-insert', { options: o, machine: machine(), summary, runs });
    say(`voucher-insert: ${summary.statementMs} ms with the statement trigger against ${summary.foreignKeysMs} ms with foreign keys (${summary.ratio} ×) → ${file}`);
    if (o.record) {
      appendSummary(`${new Date().toISOString().slice(0, 16)} · voucher-insert · ${o.runs} runs × ${ROUNDS} rounds of ${BATCH.toLocaleString('en')} vouchers per INSERT, nproc ${machine().nproc}, `
        + `load ${runs.map((x) => `${x.loadBefore}→${x.loadAfter}`).join(', ')} · **${summary.statementMs} ms** per statement with the statement trigger (migration 0014) `
        + `against ${summary.foreignKeysMs} ms with the three foreign keys in the same transaction = **${summary.ratio} ×**`);
    }
  } finally {
    await db.close();
    await bdb.drop();
  }
}
