import type { JobDefinition } from '../platform/jobs';
import type { Clock } from '../platform/clock';
import { sql, type Db } from '../platform/db';
import { reconcile } from '../capabilities/ledger';

/**
 * Recomputes every balance from the journal each night. On a PostgreSQL server it reads one
 * consistent snapshot (REPEATABLE READ, read-only), so concurrent claims cannot show up as
 * differences. The run's `rows` is the number of differences: the metric
 * hqt_reconcile_differences and its alert read it from job_runs.
 */
export function reconcileJob(db: Db, clock: Clock): JobDefinition {
  return {
    name: 'reconcile',
    schedule: '15 2 * * *',
    description: 'recompute every balance from the journal (one snapshot); rows = differences found',
    async run() {
      const report = db.kind === 'pg'
        ? await db.transaction(async (tx) => {
          await tx.query(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
          return reconcile(tx, clock);
        })
        : await reconcile(db, clock);
      const shown = report.differences.slice(0, 20);
      return { rows: report.differences.length, detail: { ok: report.ok, truncated: report.truncated, checked: report.checked, differences: shown } };
    },
  };
}
