/** `npm run job -- <name>`: runs one job by hand against the configured database, then exits. */
import { loadConfig } from '../config/config';
import { createApp } from '../app/create-app';
import { systemClock } from '../platform/clock';
import { createLogger } from '../platform/logger';
import { migrate } from '../platform/migrate';
import { openDatabase } from '../platform/open-db';

async function main(): Promise<void> {
  const name = process.argv[2];
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const opened = await openDatabase(config, logger, 'hqt-job');
  try {
    await migrate(opened.db);
    const { services } = createApp({ config, db: opened.db, logger, clock: systemClock });
    if (!name || !services.jobs.has(name)) {
      process.stderr.write(`usage: npm run job -- <name>\njobs: ${services.jobs.list().map((j) => j.name).join(', ')}\n`);
      process.exitCode = 2;
      return;
    }
    const run = await services.jobs.run(name, 'manual');
    process.stdout.write(JSON.stringify(run, null, 2) + '\n');
    if (run.status === 'failed') process.exitCode = 1;
  } finally {
    await opened.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
