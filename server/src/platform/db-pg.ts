/** The PostgreSQL-server engine of `Db`: a pg Pool behind drizzle's node-postgres driver. */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { normaliseRows, parseInt8, queryableOf, runQuery, type Connection, type Db, type SQL } from './db';

pg.types.setTypeParser(20, parseInt8);

export interface PgDbOptions {
  url: string;
  poolMax: number;
  applicationName?: string;
}

export function createPgDb(options: PgDbOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    application_name: options.applicationName ?? 'hqt',
    options: '-c timezone=UTC',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const orm = drizzle({ client: pool });
  return {
    kind: 'pg',
    query: <T>(statement: SQL) => runQuery<T>(orm, statement),
    transaction: (fn) => orm.transaction((tx) => fn(queryableOf(tx))),
    async withConnection(fn) {
      const client = await pool.connect();
      const clientOrm = drizzle({ client });
      const conn: Connection = {
        exec: async (script) => {
          await client.query(script);
        },
        query: async <T>(statement: SQL) => runQuery<T>(clientOrm, statement),
      };
      try {
        return await fn(conn);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export { normaliseRows };
