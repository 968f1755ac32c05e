/** `npm run db:migrate`: applies pending migrations to the configured database, makes the coming months' partitions, and exits. */
import { loadConfig } from '../config/config';
import { createLogger } from '../platform/logger';
import { migrate } from '../platform/migrate';
import { openDatabase } from '../platform/open-db';
import { systemClock } from '../platform/clock';
import { ensureMonthPartitions } from '../jobs/partitions.job';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const opened = await openDatabase(config, createLogger(config.logLevel), 'hqt-migrate');
  try {
    const applied = await migrate(opened.db);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'nothing to apply\n');
    const partitions = await ensureMonthPartitions(opened.db, systemClock.now(), config.partitionMonthsAhead);
    if (partitions.created.length > 0) process.stdout.write(`partitions created: ${partitions.created.join(', ')}\n`);
  } finally {
    await opened.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
