/**
 * The server process: configuration → database (lock, migrations, demo data) → HTTP.
 * With WORKERS > 1 this process becomes the cluster primary and forks the servers.
 * On SIGTERM/SIGINT it reports not-ready, stops accepting, flushes, finishes in-flight
 * requests within SHUTDOWN_GRACE_MS, closes the database cleanly and exits 0
 * (platform/shutdown.ts).
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
import { seedDemoPools } from './demo/seed-demo-pools';
import { SEED_LOCK_KEY, withAdvisoryLock } from './platform/advisory-lock';
import { isClusterWorker, joinClusterMetrics, runPrimary } from './platform/cluster';
import type { Db } from './platform/db';
import { createPgDb } from './platform/db-pg';
import { startMetricsServer } from './platform/metrics';
import { closeSharedRedis } from './platform/redis';
import { exitOnSignals, ShutdownHooks } from './platform/shutdown';
import { ensureMonthPartitions } from './jobs/partitions.job';

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
  if (config.workers > 1 && !isClusterWorker()) return runPrimary(config, logger);
  joinClusterMetrics();
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
  // a database migrated months ago gets this month's partitions before it serves; the job retries a failure
  await ensureMonthPartitions(opened.db, systemClock.now(), config.partitionMonthsAhead).then(
    (r) => { if (r.created.length > 0) logger.info({ created: r.created, moved: r.moved }, 'partitions created'); },
    (err: unknown) => logger.warn({ err }, 'partitions not created at start'));
  // two instances starting at once on an empty database: one seeds, the other then finds users
  const seeded = config.seedDemo && await withAdvisoryLock(opened.db, SEED_LOCK_KEY, (db) => seedDemoIfEmpty(db, config, logger));
  const reportsDb: Db | undefined = config.reportsDatabaseUrl
    ? createPgDb({ url: config.reportsDatabaseUrl, poolMax: config.reportsDatabasePoolMax, applicationName: 'hqt-reports', connectWaitMs: config.databaseConnectWaitMs })
    : undefined;
  const shutdownHooks = new ShutdownHooks();

  const { app, state, services } = createApp({ config, db: opened.db, reportsDb, shutdownHooks, logger, clock: systemClock });
  // the people were seeded just now (by this process): their agencies' demo pools follow, through the pool service
  if (seeded) await seedDemoPools(opened.db, services, systemClock, logger);
  services.jobs.start();
  const server: Server = app.listen(config.port, config.host, () => {
    logger.info({ port: config.port, database: opened.db.kind }, `沪券通 listening on http://localhost:${config.port}`);
  });
  const servers = [server];
  // under WORKERS > 1 the primary serves the metrics port with every worker's sum
  if (config.metricsPort !== null && !isClusterWorker()) servers.push(await startMetricsServer(config.metricsPort, config.host, logger));

  exitOnSignals({
    state, servers, hooks: shutdownHooks, logger,
    graceMs: config.shutdownGraceMs, delayMs: config.shutdownDelayMs,
    stopJobs: () => services.jobs.stop(),
    jobsIdle: () => services.jobs.idle(),
    close: async () => {
      await reportsDb?.close();
      await closeSharedRedis();
      await opened.close();
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`沪券通 failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
