/**
 * The embedded engine of `Db`: PGlite (PostgreSQL compiled to WebAssembly) behind drizzle's
 * pglite driver. PGlite is one connection; drizzle runs its transactions under PGlite's
 * transaction mutex, so concurrent transactions queue rather than interleave.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { parseInt8, queryableOf, runQuery, type Connection, type Db, type SQL } from './db';

export interface PgliteDbOptions {
  /** a directory on disk; omit for an in-memory database */
  dataDir?: string;
  /** a tarball made by `dumpDataDir`, loaded into a fresh in-memory database (tests) */
  loadDataDir?: Blob;
}

export interface PgliteDb extends Db {
  readonly pglite: PGlite;
}

export async function createPgliteDb(options: PgliteDbOptions): Promise<PgliteDb> {
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: { 20: parseInt8 },
  });
  const orm = drizzle({ client: pglite });
  // PGlite is one session: a statement issued while another caller's transaction is open
  // would run inside it. Everything outside a transaction queues behind one mutex.
  const exclusive = createMutex();
  const conn: Connection = {
    exec: async (script) => {
      await pglite.exec(script);
    },
    query: <T>(statement: SQL) => runQuery<T>(orm, statement),
  };
  return {
    kind: 'pglite',
    pglite,
    query: <T>(statement: SQL) => exclusive(() => runQuery<T>(orm, statement)),
    transaction: (fn) => exclusive(() => orm.transaction((tx) => fn(queryableOf(tx)))),
    // One process owns PGlite (see datadir-lock), so the single connection is the dedicated one.
    withConnection: (fn) => exclusive(() => fn(conn)),
    close: () => pglite.close(),
  };
}

/** A FIFO mutex: each call runs after the previous one settles. */
function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
