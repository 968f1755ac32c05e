/**
 * Owns the monthly partitions of journal_entries and redemptions (migration 0010): creates the
 * partition of this Asia/Shanghai month and of the next `monthsAhead` before rows arrive, and
 * gives every month found in a DEFAULT partition its own partition (the SQL function moves the
 * rows). It also runs once at start-up, so a database migrated long ago serves with its months.
 */
import { shanghaiDate } from '@hqt/shared';
import type { JobDefinition } from '../platform/jobs';
import type { Clock } from '../platform/clock';
import { sql, type Db } from '../platform/db';

/** Each partitioned table with its partition key. */
export const MONTHLY_TABLES = { journal_entries: 'at', redemptions: 'created_at' } as const;
export type MonthlyTable = keyof typeof MONTHLY_TABLES;
export const PARTITION_MONTHS_AHEAD_MAX = 24;
/** months found in a DEFAULT partition given their own partition per run, per table */
export const STRAY_MONTHS_PER_RUN_MAX = 24;
/**
 * How long one partition's creation waits for its locks (the DEFAULT partition is locked while
 * it is checked, and readers queue behind the wait): it gives up rather than stall traffic, and
 * the next run retries.
 */
export const PARTITION_LOCK_TIMEOUT_MS = 2_000;

export interface PartitionsReport {
  /** partitions this run created, e.g. journal_entries_2026_12 */
  created: string[];
  /** rows moved out of the DEFAULT partitions into their months */
  moved: number;
  /** journal_entries partitions (made or attached by hand) that were given the balance trigger */
  balanceTriggersAdded: number;
  /** rows left in each DEFAULT partition: above 0 after a run means months outside the bounds above */
  defaultRows: Record<MonthlyTable, number>;
}

/** The first day (YYYY-MM-01) of the Asia/Shanghai month of `at` and of the `ahead` months after it. */
export function monthsFrom(at: Date, ahead: number): string[] {
  const [year, month] = shanghaiDate(at).split('-').map(Number) as [number, number];
  return Array.from({ length: ahead + 1 }, (_, k) => {
    const index = year * 12 + (month - 1) + k;
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
  });
}

/** The months with rows in a table's DEFAULT partition, oldest first. */
async function strayMonths(db: Db, table: MonthlyTable): Promise<string[]> {
  const key = sql.raw(MONTHLY_TABLES[table]);
  const rows = await db.query<{ m: string }>(sql`
    SELECT DISTINCT to_char(date_trunc('month', ${key} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS m
    FROM ${sql.raw(`${table}_default`)} ORDER BY m LIMIT ${STRAY_MONTHS_PER_RUN_MAX}`);
  return rows.map((r) => r.m);
}

async function createMonth(db: Db, table: MonthlyTable, month: string): Promise<{ created: boolean; moved: number }> {
  return db.transaction(async (tx) => {
    await tx.query(sql.raw(`SET LOCAL lock_timeout = ${PARTITION_LOCK_TIMEOUT_MS}`));
    const [row] = await tx.query<{ created: boolean; moved: number }>(sql`
      SELECT created, moved FROM partition_create_month(${table}, ${month}::date)`);
    if (!row) throw new Error(`assertion: partition_create_month(${table}, ${month}) answered nothing`);
    return row;
  });
}

async function defaultRows(db: Db): Promise<PartitionsReport['defaultRows']> {
  const [row] = await db.query<PartitionsReport['defaultRows']>(sql`
    SELECT (SELECT count(*) FROM journal_entries_default)::bigint AS journal_entries,
           (SELECT count(*) FROM redemptions_default)::bigint AS redemptions`);
  if (!row) throw new Error('assertion: no default partition counts');
  return row;
}

/**
 * Makes sure every month from `now`'s to `monthsAhead` later has its partition, and every month
 * with rows in a DEFAULT partition too (oldest first, bounded per run), and that every journal
 * partition carries the balance trigger. Idempotent; one
 * transaction per partition, so a month that cannot get its locks fails alone (then the whole
 * run reports it) and the others are still made.
 */
export async function ensureMonthPartitions(db: Db, now: Date, monthsAhead: number): Promise<PartitionsReport> {
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > PARTITION_MONTHS_AHEAD_MAX) {
    throw new Error(`assertion: bad months ahead ${monthsAhead}`);
  }
  const report: Omit<PartitionsReport, 'defaultRows' | 'balanceTriggersAdded'> = { created: [], moved: 0 };
  const failures: string[] = [];
  for (const table of Object.keys(MONTHLY_TABLES) as MonthlyTable[]) {
    const months = new Set([...monthsFrom(now, monthsAhead), ...(await strayMonths(db, table))]);
    for (const month of [...months].sort()) {
      const name = `${table}_${month.slice(0, 4)}_${month.slice(5, 7)}`;
      try {
        const r = await createMonth(db, table, month);
        if (r.created) report.created.push(name);
        report.moved += r.moved;
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
  }
  if (failures.length > 0) {
    throw new Error(`partitions not created (the next run retries): ${failures.join('; ')}; created: ${report.created.join(', ') || 'none'}`);
  }
  const [guarded] = await db.query<{ added: number }>(sql`SELECT journal_guard_partitions() AS added`);
  return { ...report, balanceTriggersAdded: guarded?.added ?? 0, defaultRows: await defaultRows(db) };
}

export function partitionsJob(db: Db, clock: Clock, monthsAhead: number): JobDefinition {
  return {
    name: 'partitions',
    schedule: '10 4 * * *',
    description: `create the monthly partitions of journal_entries and redemptions for this month and the next ${monthsAhead}; `
      + 'move rows out of the DEFAULT partitions; refresh the tables\' statistics (rows = partitions created)',
    async run() {
      const r = await ensureMonthPartitions(db, clock.now(), monthsAhead);
      // autovacuum analyzes partitions but never a partitioned table, whose statistics the planner uses for joins
      await db.query(sql`ANALYZE journal_entries, redemptions`);
      return { rows: r.created.length, detail: { ...r } };
    },
  };
}
