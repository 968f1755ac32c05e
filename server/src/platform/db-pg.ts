/**
 * The PostgreSQL-server engine of `Db`: a pg Pool behind drizzle's node-postgres driver.
 * Statements with parameters run as named prepared statements, so each connection parses and
 * plans a statement text once and then only binds and executes it (up to PREPARED_TEXTS_MAX
 * distinct texts per process; statements past that, and those without parameters, run unnamed).
 */
import { createHash } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DatabaseBusy, normaliseRows, parseInt8, queryableOf, runQuery, type Connection, type Db, type SQL } from './db';

pg.types.setTypeParser(20, parseInt8);

/** Distinct statement texts given a name: each connection keeps a parse tree and plan per name it ran. */
const PREPARED_TEXTS_MAX = 256;
/** text → name; a text's generation moves on (a new name) when PostgreSQL refuses its stale plan */
const preparedNames = new Map<string, string>();
const generations = new Map<string, number>();
/** SQLSTATE of "cached plan must not change result type" (the table changed under a prepared SELECT *) */
const PG_FEATURE_NOT_SUPPORTED = '0A000';

function nameFor(text: string, paramCount: number): string | undefined {
  if (paramCount === 0) return undefined;
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < PREPARED_TEXTS_MAX) {
    name = `hqt_${createHash('sha1').update(text).digest('hex').slice(0, 20)}_${generations.get(text) ?? 0}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** The parts of a drizzle database (or transaction) that run a statement under a name of our choosing. */
interface DrizzleParts {
  session: { prepareQuery(q: { sql: string; params: unknown[] }, fields: undefined, name: string | undefined, arrayMode: boolean): { execute(): Promise<unknown> } };
  dialect: { sqlToQuery(statement: SQL): { sql: string; params: unknown[] } };
}

/**
 * An executor running statements as named prepared statements. Outside a transaction
 * (`retryStale`), a statement whose cached plan PostgreSQL refuses after a schema change runs
 * again under a new name; inside one, the error ends the transaction like any other.
 */
function prepared(db: unknown, retryStale: boolean): { execute(statement: SQL): Promise<unknown> } {
  const { session, dialect } = db as DrizzleParts;
  const run = (q: { sql: string; params: unknown[] }) => session.prepareQuery(q, undefined, nameFor(q.sql, q.params.length), false).execute();
  return {
    async execute(statement) {
      const q = dialect.sqlToQuery(statement);
      try {
        return await run(q);
      } catch (err) {
        const code = ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string })).code;
        if (code !== PG_FEATURE_NOT_SUPPORTED || !preparedNames.has(q.sql)) throw err;
        preparedNames.delete(q.sql);
        generations.set(q.sql, (generations.get(q.sql) ?? 0) + 1);
        if (!retryStale) throw err;
        return run(q);
      }
    },
  };
}

export interface PgDbOptions {
  url: string;
  poolMax: number;
  applicationName?: string;
  /** how long a query waits for a free connection before it fails with DatabaseBusy (default 10 s) */
  connectWaitMs?: number;
}

/** pg-pool's error when no client came free within connectionTimeoutMillis */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

/** The pool's wait timeout, found through drizzle's wrapping (`cause`), as DatabaseBusy; anything else unchanged. */
function busyOr(err: unknown, waitedMs: number): unknown {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (e.message === POOL_WAIT_TIMEOUT) return new DatabaseBusy(waitedMs);
    e = (e as { cause?: unknown }).cause;
  }
  return err;
}

export function createPgDb(options: PgDbOptions): Db {
  const connectWaitMs = options.connectWaitMs ?? 10_000;
  const connect = () => pool.connect().catch((err: unknown) => {
    throw busyOr(err, connectWaitMs);
  });
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    application_name: options.applicationName ?? 'hqt',
    options: '-c timezone=UTC',
    connectionTimeoutMillis: connectWaitMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // A checked-out client whose backend dies between two queries (pg_terminate_backend, a
  // restart) emits 'error' with no query to fail; unhandled, that ended the process (found by
  // test/faults). The next query on it fails instead, and the pool drops it on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const orm = drizzle({ client: pool });
  const poolExecutor = prepared(orm, true);
  /** a transaction's executor, one per pooled connection */
  const executors = new WeakMap<pg.PoolClient, ReturnType<typeof prepared>>();
  const executorOf = (client: pg.PoolClient) => {
    let executor = executors.get(client);
    if (!executor) executors.set(client, executor = prepared(drizzle({ client }), false));
    return executor;
  };
  return {
    kind: 'pg',
    query: <T>(statement: SQL) => runQuery<T>(poolExecutor, statement).catch((err: unknown) => {
      throw busyOr(err, connectWaitMs);
    }),
    async transaction(fn) {
      // Not drizzle's `transaction`: it sends BEGIN before its try, so a BEGIN that fails on a
      // connection the server just ended (pg_terminate_backend, a restart) never released the
      // client. Each such failure lost one pool slot for good, until requests and jobs waited
      // on an empty pool (found by test/faults; test/platform/db-pg-transaction.test.ts).
      const client = await connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN').catch((beginErr: unknown) => {
          broken = beginErr as Error;
          throw beginErr;
        });
        try {
          const result = await fn(queryableOf(executorOf(client)));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          // a failed COMMIT has already ended the transaction; a ROLLBACK after it only warns
          await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
            broken = rollbackErr as Error;
          });
          throw err;
        }
      } finally {
        // a client whose state is unknown (BEGIN or ROLLBACK failed) is destroyed, not reused
        client.release(broken);
      }
    },
    async withConnection(fn) {
      const client = await connect();
      const clientOrm = drizzle({ client });
      const conn: Connection = {
        exec: async (script) => {
          await client.query(script);
        },
        query: async <T>(statement: SQL) => runQuery<T>(clientOrm, statement),
      };
      let failed: Error | undefined;
      try {
        return await fn(conn);
      } catch (err) {
        // destroyed rather than reused: its session state (an advisory lock whose unlock
        // failed, a transaction left open) is unknown
        failed = err as Error;
        throw err;
      } finally {
        client.release(failed);
      }
    },
    close: () => pool.end(),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: options.poolMax }),
  };
}

export { normaliseRows };
