/**
 * The server process: configuration → database (lock, migrations, demo data) → HTTP.
 * On SIGTERM/SIGINT it reports not-ready, stops accepting, finishes in-flight requests
 * within a bound, closes the database cleanly and exits 0.
 */
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config/config';
import { DataDirLockedError } from './platform/datadir-lock';
import { createLogger } from './platform/logger';
import { migrate } from './platform/migrate';
import { openDatabase } from './platform/open-db';
import { systemClock } from './platform/clock';
import { createApp } from './app/create-app';
import { seedDemoIfEmpty } from './demo/seed-demo';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let opened;
  try {
    opened = await openDatabase(config, logger);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      process.stderr.write(err.message + '\n');
      process.exit(1);
    }
    throw err;
  }
  const applied = await migrate(opened.db);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  if (config.seedDemo) await seedDemoIfEmpty(opened.db, config, logger);

  const { app, state, services } = createApp({ config, db: opened.db, logger, clock: systemClock });
  services.jobs.start();
  const server: Server = app.listen(config.port, config.host, () => {
    logger.info({ port: config.port, database: opened.db.kind }, `沪券通 listening on http://localhost:${config.port}`);
  });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    state.shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await services.jobs.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(timer);
    await opened.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`沪券通 failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
