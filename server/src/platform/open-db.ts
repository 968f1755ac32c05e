/**
 * Opens the database the configuration names: a PostgreSQL server with DATABASE_URL, else
 * embedded PGlite in DATA_DIR under a PID lock file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config';
import { lockDataDir } from './datadir-lock';
import type { Db } from './db';
import { createPgDb } from './db-pg';
import { createPgliteDb } from './db-pglite';
import type { Logger } from './logger';

export interface OpenedDb {
  db: Db;
  /** closes the database and releases the data-directory lock */
  close(): Promise<void>;
}

export async function openDatabase(config: Readonly<Config>, logger: Logger, applicationName = 'hqt'): Promise<OpenedDb> {
  if (config.databaseUrl) {
    const db = createPgDb({ url: config.databaseUrl, poolMax: config.databasePoolMax, applicationName, connectWaitMs: config.databaseConnectWaitMs });
    return { db, close: () => db.close() };
  }
  const lock = lockDataDir(config.dataDir);
  const pgDir = path.join(config.dataDir, 'pg');
  try {
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      logger.info({ dataDir: config.dataDir }, 'creating the embedded PostgreSQL database (first start takes several seconds)');
      process.stderr.write(`沪券通: creating the embedded PostgreSQL database in ${pgDir} — the first start takes several seconds…\n`);
    }
    const db = await createPgliteDb({ dataDir: pgDir });
    return {
      db,
      close: async () => {
        try {
          await db.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
