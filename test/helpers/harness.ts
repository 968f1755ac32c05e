/**
 * Starts the real application in-process for one test file: its own database (a clone of
 * the migrated template, embedded or on the server), real signed JWTs, a manual clock and
 * captured log lines. Requests go over HTTP through supertest.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfig, type Config } from '../../server/src/config/config';
import { createApp, createServices, type Services } from '../../server/src/app/create-app';
import { ManualClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { createPgDb } from '../../server/src/platform/db-pg';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { createLogger } from '../../server/src/platform/logger';
import { seedDemoIfEmpty, DEMO_PASSWORD } from '../../server/src/demo/seed-demo';
import { pgliteTemplateFile, pgTemplateDb, withDatabase } from './template';

export { DEMO_PASSWORD };

export interface Harness {
  app: ReturnType<typeof createApp>['app'];
  db: Db;
  config: Readonly<Config>;
  clock: ManualClock;
  services: Services;
  logs: string[];
  http(): ReturnType<typeof request>;
  /** logs in and returns the access token */
  login(login: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  demo?: boolean;
  env?: Record<string, string>;
  now?: Date;
  /** the PostgreSQL-server engine's pool (ignored on PGlite) */
  pool?: { max: number; connectWaitMs: number };
}

export function testConfig(extra: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: path.join(os.tmpdir(), 'hqt-test-' + randomBytes(4).toString('hex')),
    JWT_SECRET: randomBytes(32).toString('hex'),
    QR_SECRET: randomBytes(32).toString('hex'),
    ID_HASH_SECRET: randomBytes(32).toString('hex'),
    BCRYPT_COST: '4',
    LOG_LEVEL: process.env.HQT_TEST_LOG_LEVEL ?? 'info',
    ...extra,
  });
}

export async function openTestDb(pool: HarnessOptions['pool'] = { max: 20, connectWaitMs: 10_000 }): Promise<{ db: Db; drop(): Promise<void>; url: string | null }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await createPgliteDb({ loadDataDir: new Blob([readFileSync(pgliteTemplateFile())]) });
    return { db, url: null, drop: () => db.close() };
  }
  const name = `hqt_t_${randomBytes(6).toString('hex')}`;
  const admin = createPgDb({ url, poolMax: 1 });
  await admin.query(sql.raw(`CREATE DATABASE ${name} TEMPLATE ${pgTemplateDb()}`));
  const dbUrl = withDatabase(url, name);
  const db = createPgDb({ url: dbUrl, poolMax: pool.max, connectWaitMs: pool.connectWaitMs });
  return {
    db,
    url: dbUrl,
    drop: async () => {
      await db.close();
      await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await admin.close();
    },
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const config = testConfig(options.env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const clock = new ManualClock(options.now ?? new Date());
  const { db, drop } = await openTestDb(options.pool);
  const deps = { config, db, logger, clock };
  const services = createServices(deps);
  const { app } = createApp(deps, services);
  if (options.demo) await seedDemoIfEmpty(db, config, logger);
  const http = () => request(app);
  return {
    app, db, config, clock, services, logs, http,
    async login(login, password = DEMO_PASSWORD) {
      const res = await http().post('/api/v1/auth/login').send({ login, password });
      if (res.status !== 200) throw new Error(`login ${login} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    close: drop,
  };
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}
