/**
 * Owns start-up critical sections across instances: a session advisory lock held on one
 * dedicated connection while `fn` runs on that same connection (so it works with a pool of
 * one). Two instances starting at once run the section one after the other.
 */
import { sql, type Connection, type Db, type Queryable } from './db';

/** A `Db` over one connection: its transactions are BEGIN/COMMIT on that connection. */
function dbOver(conn: Connection, kind: Db['kind']): Db {
  return {
    kind,
    query: (statement) => conn.query(statement),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      await conn.exec('BEGIN');
      try {
        const result = await fn(conn);
        await conn.exec('COMMIT');
        return result;
      } catch (err) {
        await conn.exec('ROLLBACK');
        throw err;
      }
    },
    withConnection: (fn) => fn(conn),
    close: async () => undefined,
  };
}

/** Runs `fn` under the advisory lock `key`; on embedded PGlite one process owns the database, so no lock is needed. */
export async function withAdvisoryLock<T>(db: Db, key: number, fn: (locked: Db) => Promise<T>): Promise<T> {
  if (db.kind === 'pglite') return fn(db);
  return db.withConnection(async (conn) => {
    await conn.query(sql`SELECT pg_advisory_lock(${key})`);
    try {
      return await fn(dbOver(conn, db.kind));
    } finally {
      await conn.query(sql`SELECT pg_advisory_unlock(${key})`);
    }
  });
}

/** The advisory lock key of demo seeding (fixed, arbitrary; migrations use 7_115_001). */
export const SEED_LOCK_KEY = 7_115_002;
