import { randomBytes } from 'node:crypto';
import { sql } from '../../server/src/platform/db';
import { createPgDb } from '../../server/src/platform/db-pg';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { migrate, migrationsApplied, readMigrations } from '../../server/src/platform/migrate';
import { withDatabase } from '../helpers/template';

describe('migrations', () => {
  test('when two migrators run at once on an empty database, then both succeed and each migration runs once', async () => {
    const url = process.env.DATABASE_URL;
    if (url) {
      const name = `hqt_mig_${randomBytes(5).toString('hex')}`;
      const admin = createPgDb({ url, poolMax: 1 });
      await admin.query(sql.raw(`CREATE DATABASE ${name}`));
      const a = createPgDb({ url: withDatabase(url, name), poolMax: 2 });
      const b = createPgDb({ url: withDatabase(url, name), poolMax: 2 });
      try {
        const [ranA, ranB] = await Promise.all([migrate(a), migrate(b)]);
        expect([...ranA, ...ranB].sort()).toEqual(readMigrations().map((m) => m.name).sort());
        expect(await migrationsApplied(a)).toBe(true);
        const rows = await a.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM schema_migrations`);
        expect(rows[0]?.n).toBe(readMigrations().length);
      } finally {
        await a.close();
        await b.close();
        await admin.query(sql.raw(`DROP DATABASE ${name} WITH (FORCE)`));
        await admin.close();
      }
    } else {
      // Embedded: one process owns the database; two concurrent callers must still serialise.
      const db = await createPgliteDb({});
      try {
        const [ranA, ranB] = await Promise.all([migrate(db), migrate(db)]);
        expect([...ranA, ...ranB].sort()).toEqual(readMigrations().map((m) => m.name).sort());
        expect(await migrationsApplied(db)).toBe(true);
      } finally {
        await db.close();
      }
    }
  });

  test('when a migration fails, then it is rolled back and not recorded', async () => {
    const db = await createPgliteDb({});
    try {
      const broken = [{ version: 9999, name: '9999_broken.sql', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();', checksum: 'x' }];
      await expect(migrate(db, broken)).rejects.toThrow(/9999_broken.sql failed/);
      const rows = await db.query<{ t: string | null }>(sql`SELECT to_regclass('half_done')::text AS t`);
      expect(rows[0]?.t).toBeNull();
      expect(await migrationsApplied(db, broken)).toBe(false);
    } finally {
      await db.close();
    }
  });
});
