/**
 * The PostgreSQL-server engine keeps its pool whole when the server ends connections under it
 * (pg_terminate_backend, a restart): every transaction hands its connection back, whichever
 * statement failed. Drizzle's own `transaction` sent BEGIN outside its try, so a BEGIN that
 * failed on a just-terminated connection kept the client checked out for good; test/faults
 * found the server's jobs waiting forever on the exhausted pool.
 */
import { sql } from '../../server/src/platform/db';
import { createPgDb } from '../../server/src/platform/db-pg';
import { freshDb } from '../helpers/fresh-db';

const onServer = process.env.DATABASE_URL ? test : test.skip;
const POOL_MAX = 2;

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

describe('PostgreSQL server engine under terminated connections', () => {
  onServer('transactions keep handing their connections back while backends are terminated', async () => {
    const fresh = await freshDb();
    const url = fresh.url as string;
    const db = createPgDb({ url, poolMax: POOL_MAX, applicationName: 'hqt_tx_victim' });
    const killer = createPgDb({ url, poolMax: 1 });
    try {
      let stop = false;
      let committed = 0;
      let failed = 0;
      const workers = Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            await db.transaction(async (tx) => {
              await tx.query(sql`SELECT 1`);
            });
            committed++;
          } catch {
            failed++; // terminated mid-way, or no connection within the pool's timeout
          }
        }
      });
      for (let i = 0; i < 80; i++) {
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
        await killer.query(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'hqt_tx_victim' AND datname = current_database()`);
      }
      stop = true;
      await within(15_000, Promise.all(workers), 'the workers');
      expect(failed).toBeGreaterThan(0); // the faults did land

      // the pool is whole again: as many transactions at once as it has connections, promptly
      const stats = db.stats?.();
      expect(stats?.waiting ?? 0).toBe(0);
      const rows = await within(3_000, Promise.all(Array.from({ length: POOL_MAX }, () => db.transaction(async (tx) => {
        const [row] = await tx.query<{ n: number }>(sql`SELECT 1 AS n FROM pg_sleep(0.2)`);
        return row?.n;
      }))), 'transactions after the faults');
      expect(rows).toEqual(Array.from({ length: POOL_MAX }, () => 1));
      expect(committed).toBeGreaterThan(0);
    } finally {
      await killer.close();
      // pool.end() waits for every checked-out client: a leaked one keeps it waiting forever
      await within(5_000, db.close(), 'closing the pool');
      await fresh.drop();
    }
  }, 60_000);
});
