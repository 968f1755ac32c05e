/** A database of its own, empty, on either engine, and the application over it: for migration tests. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../server/src/app/create-app';
import type { ManualClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { createPgDb } from '../../server/src/platform/db-pg';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { createLogger } from '../../server/src/platform/logger';
import { seedDemoIfEmpty } from '../../server/src/demo/seed-demo';
import { DEMO_PASSWORD, testConfig, type Harness } from './harness';
import { withDatabase } from './template';

/** An empty database of its own on either engine. */
export async function freshDb(): Promise<{ db: Db; drop(): Promise<void>; url?: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await createPgliteDb({});
    return { db, drop: () => db.close() };
  }
  const name = `hqt_part_${randomBytes(5).toString('hex')}`;
  const admin = createPgDb({ url, poolMax: 1 });
  await admin.query(sql.raw(`CREATE DATABASE ${name}`));
  const db = createPgDb({ url: withDatabase(url, name), poolMax: 5 });
  return {
    db,
    url: withDatabase(url, name),
    drop: async () => {
      await db.close();
      await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await admin.close();
    },
  };
}

/** The application over `db` with a manual clock, shaped like the test harness. */
export async function appOver(db: Db, clock: ManualClock): Promise<Harness> {
  const config = testConfig();
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
  await seedDemoIfEmpty(db, config, logger);
  const { app, services } = createApp({ config, db, logger, clock });
  const http = () => request(app);
  return {
    app, db, config, clock, services, logs: [], http,
    login: async (login: string, password = DEMO_PASSWORD) => (await http().post('/api/v1/auth/login').send({ login, password })).body.accessToken as string,
    close: async () => undefined,
  };
}


/** A fresh database for the whole test file (made in beforeAll, dropped in afterAll); call `db()` inside a test. */
export function freshDbForFile(): { db(): Db } {
  let fresh: { db: Db; drop(): Promise<void> } | undefined;
  beforeAll(async () => {
    fresh = await freshDb();
  });
  afterAll(async () => {
    await fresh?.drop();
  });
  return {
    db: () => {
      if (!fresh) throw new Error('assertion: the fresh database is made in beforeAll');
      return fresh.db;
    },
  };
}
