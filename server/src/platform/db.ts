/**
 * Owns the database connection: one small interface (query, transaction, close) over two
 * engines — embedded PostgreSQL (PGlite) and a PostgreSQL server (pg Pool) — both through
 * drizzle-orm, so the same SQL runs on either. Values are normalised in one place here:
 * int8 → number (asserted safe), timestamptz → ISO-8601 string.
 */
import { sql, type SQL } from 'drizzle-orm';

export { sql, type SQL };

export type Row = Record<string, unknown>;

/**
 * No database connection came free within the pool's wait (DB_CONNECT_WAIT_MS): the database
 * is saturated or stalled. Requests answer it as 503 OVERLOADED with Retry-After, not as an
 * internal error; nothing was written, since the statement never reached the database.
 */
export class DatabaseBusy extends Error {
  constructor(waitedMs: number) {
    super(`no database connection came free within ${waitedMs} ms`);
    this.name = 'DatabaseBusy';
  }
}

export interface Queryable {
  /** Runs one statement and returns its rows. */
  query<T = Row>(statement: SQL): Promise<T[]>;
}

export interface Connection {
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  query<T = Row>(statement: SQL): Promise<T[]>;
}

export type DbKind = 'pglite' | 'pg';

/** Connection-pool usage (the pg engine; metrics read it on scrape). */
export interface DbPoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface Db extends Queryable {
  readonly kind: DbKind;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` on one dedicated connection (session-level advisory locks, migrations). */
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** pool usage, where the engine has a pool */
  stats?(): DbPoolStats;
}

const PG_TIMESTAMPTZ = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/;

function normaliseValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds the safe integer range`);
    return n;
  }
  if (typeof value === 'string') {
    const m = PG_TIMESTAMPTZ.exec(value);
    if (m) return new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}`).toISOString();
  }
  if (Array.isArray(value)) return value.map(normaliseValue);
  return value;
}

export function normaliseRows<T>(rows: unknown[]): T[] {
  for (const row of rows as Row[]) {
    for (const key of Object.keys(row)) row[key] = normaliseValue(row[key]);
  }
  return rows as T[];
}

/** The int8 parser both engines use: a number, refusing anything past 2^53. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`);
  return n;
}

interface Executor {
  execute(statement: SQL): Promise<unknown>;
}

export async function runQuery<T>(executor: Executor, statement: SQL): Promise<T[]> {
  let result: { rows: unknown[] };
  try {
    result = (await executor.execute(statement)) as { rows: unknown[] };
  } catch (err) {
    // drizzle wraps the driver's error ("Failed query: …"); the driver's own carries the
    // SQLSTATE code and constraint name that callers map to problems.
    const cause = (err as { cause?: unknown }).cause;
    throw cause instanceof Error ? cause : err;
  }
  return normaliseRows<T>(result.rows);
}

export function queryableOf(executor: Executor): Queryable {
  return { query: <T>(statement: SQL) => runQuery<T>(executor, statement) };
}

/**
 * Deletes in short batches, each its own statement (no long lock): `deleteBatch` deletes at
 * most `batchMax` rows and returns how many; stops at a short batch or after `batchesMax`
 * batches (the next run continues). The retention jobs share it.
 */
export async function deleteInBatches(
  batchMax: number, batchesMax: number, deleteBatch: () => Promise<number>,
): Promise<{ deleted: number; batches: number }> {
  const total = { deleted: 0, batches: 0 };
  while (total.batches < batchesMax) {
    const n = await deleteBatch();
    total.batches++;
    total.deleted += n;
    if (n < batchMax) break;
  }
  return total;
}
