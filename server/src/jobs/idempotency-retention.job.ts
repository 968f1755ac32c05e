import type { JobDefinition } from '../platform/jobs';
import type { Clock } from '../platform/clock';
import { deleteInBatches, sql, type Db } from '../platform/db';

export const IDEMPOTENCY_RETENTION_DAYS = 7;
export const IDEMPOTENCY_PURGE_BATCH_MAX = 5_000;
/** bounds one run: 200 × 5,000 = 1,000,000 keys; the next run continues */
export const IDEMPOTENCY_PURGE_BATCHES_PER_RUN_MAX = 200;
const DAY_MS = 86_400_000;

/**
 * Deletes idempotency keys older than the retention, oldest first, in short batches (each its
 * own statement, so no long lock). A request replayed after that executes afresh.
 */
export async function purgeIdempotencyKeys(db: Db, before: Date, batchMax = IDEMPOTENCY_PURGE_BATCH_MAX): Promise<{ deleted: number; batches: number }> {
  if (!Number.isSafeInteger(batchMax) || batchMax < 1 || batchMax > IDEMPOTENCY_PURGE_BATCH_MAX) throw new Error(`assertion: bad batch size ${batchMax}`);
  return deleteInBatches(batchMax, IDEMPOTENCY_PURGE_BATCHES_PER_RUN_MAX, async () => {
    const rows = await db.query<{ n: number }>(sql`
      WITH old AS (
        SELECT scope, key FROM idempotency_keys WHERE created_at < ${before.toISOString()}
        ORDER BY created_at LIMIT ${batchMax}
      ), gone AS (
        DELETE FROM idempotency_keys k USING old WHERE k.scope = old.scope AND k.key = old.key RETURNING 1
      )
      SELECT count(*)::int AS n FROM gone`);
    return rows[0]?.n ?? 0;
  });
}

export function idempotencyRetentionJob(db: Db, clock: Clock): JobDefinition {
  return {
    name: 'idempotency-retention',
    schedule: '40 3 * * *',
    description: `delete idempotency keys older than ${IDEMPOTENCY_RETENTION_DAYS} days (batches of ${IDEMPOTENCY_PURGE_BATCH_MAX})`,
    async run() {
      const before = new Date(clock.now().getTime() - IDEMPOTENCY_RETENTION_DAYS * DAY_MS);
      const r = await purgeIdempotencyKeys(db, before);
      return { rows: r.deleted, detail: { ...r, before: before.toISOString() } };
    },
  };
}
