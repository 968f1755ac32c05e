/**
 * Several instances starting at once on an empty database: demo seeding runs under an
 * advisory lock on one connection, so exactly one instance seeds and the others find users
 * (without the lock both would count zero users and the second would crash on a duplicate).
 */
import { openTestDb, testConfig } from '../helpers/harness';
import { createPgDb } from '../../server/src/platform/db-pg';
import { sql, type Db } from '../../server/src/platform/db';
import { createLogger } from '../../server/src/platform/logger';
import { SEED_LOCK_KEY, withAdvisoryLock } from '../../server/src/platform/advisory-lock';
import { seedDemoIfEmpty } from '../../server/src/demo/seed-demo';

// Embedded PGlite is opened by one process only (data-directory lock), so racing instances exist only on a server.
const onServer = process.env.DATABASE_URL ? test : test.skip;

describe('demo seeding across instances', () => {
  onServer('when three instances seed one empty database at once, then one seeds and none fails', async () => {
    const test = await openTestDb();
    const config = testConfig();
    const logger = createLogger('silent');
    // each "instance" has its own pool of one connection (the lock must work with DATABASE_POOL_MAX=1)
    const instances: Db[] = [1, 2, 3].map(() => createPgDb({ url: test.url as string, poolMax: 1 }));
    try {
      const seeded = await Promise.all(instances.map((db) => withAdvisoryLock(db, SEED_LOCK_KEY, (locked) => seedDemoIfEmpty(locked, config, logger))));
      expect(seeded.filter(Boolean)).toHaveLength(1);
      const [admins] = await test.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE login = 'admin'`);
      expect(admins!.n).toBe(1);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
      await test.drop();
    }
  });

  test('when the locked work throws, then the lock is released and the transaction rolled back', async () => {
    const test = await openTestDb();
    try {
      await expect(withAdvisoryLock(test.db, SEED_LOCK_KEY, (db) => db.transaction(async (tx) => {
        await tx.query(sql`INSERT INTO job_runs (job, trigger, instance, started_at, status) VALUES ('x', 'manual', 'i', now(), 'running')`);
        throw new Error('boom');
      }))).rejects.toThrow('boom');
      const [n] = await test.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM job_runs WHERE job = 'x'`);
      expect(n!.n).toBe(0);
      expect(await withAdvisoryLock(test.db, SEED_LOCK_KEY, async () => 'again')).toBe('again');
    } finally {
      await test.drop();
    }
  });
});
