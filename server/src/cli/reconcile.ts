/**
 * `npm run reconcile [-- --json]`: recomputes every balance from the journal against the
 * configured database (DATABASE_URL, else the embedded one in DATA_DIR, which the server must
 * not hold open), shows a progress bar per stage, prints each difference, and exits 1 when
 * there is any (2 when it could not run).
 */
import cliProgress from 'cli-progress';
import { formatFen, type ReconcileDifference, type ReconcileReport } from '@hqt/shared';
import { loadConfig } from '../config/config';
import { reconcile, type ReconcileStage } from '../capabilities/ledger';
import { systemClock } from '../platform/clock';
import { createLogger } from '../platform/logger';
import { migrationsApplied } from '../platform/migrate';
import { openDatabase } from '../platform/open-db';

function progressBar(): { onProgress: (stage: ReconcileStage, done: number, total: number) => void; stop(): void } {
  const bar = new cliProgress.SingleBar({
    format: '{stage} |{bar}| {percentage}% {value}/{total}',
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  let current: ReconcileStage | null = null;
  return {
    onProgress(stage, done, total) {
      const shownTotal = Math.max(total, 1);
      if (stage !== current) {
        if (current) bar.stop();
        current = stage;
        bar.start(shownTotal, Math.min(done, shownTotal), { stage: stage.padEnd(12) });
        return;
      }
      bar.setTotal(shownTotal);
      bar.update(Math.min(done, shownTotal), { stage: stage.padEnd(12) });
    },
    stop() {
      if (current) bar.stop();
    },
  };
}

function describe(d: ReconcileDifference): string {
  const money = (v: number | string | null) => (typeof v === 'number' ? `${v} (${formatFen(v)})` : String(v));
  return `  ${d.check.padEnd(22)} ${d.subject}\n      expected ${money(d.expected)}, found ${money(d.actual)}${d.detail ? ` — ${d.detail}` : ''}`;
}

function summary(report: ReconcileReport): string {
  const c = report.checked;
  const lines = [
    `checked ${c.transactions} journal transactions, ${c.pools} pools, ${c.vouchers} vouchers, ${c.rollups} rollup keys, ${c.merchants} merchant payables`,
    report.ok ? 'reconciled: no differences' : `${report.differences.length}${report.truncated ? '+' : ''} difference(s):`,
    ...report.differences.map(describe),
  ];
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const opened = await openDatabase(config, logger, 'hqt-reconcile');
  try {
    const migrated = await migrationsApplied(opened.db).catch(() => false);
    if (!migrated) throw new Error('the database is not migrated: run npm run db:migrate first');
    const bar = progressBar();
    let report: ReconcileReport;
    try {
      report = await reconcile(opened.db, systemClock, { onProgress: bar.onProgress });
    } finally {
      bar.stop();
    }
    process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : summary(report));
    if (!report.ok) process.exitCode = 1;
  } finally {
    await opened.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`reconcile failed: ${(err as Error).message}\n`);
  process.exit(2);
});
