/**
 * Owns schema migrations: numbered plain-SQL files in server/migrations, applied in order,
 * each in its own transaction and recorded in schema_migrations. A session-level advisory
 * lock makes two servers starting at once safe: the second waits, then finds nothing to do.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql, type Db } from './db';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');
const MIGRATION_LOCK_KEY = 7_115_001; // arbitrary, fixed: the advisory lock id of migrations
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => FILE_PATTERN.test(f)).sort();
  return files.map((name) => {
    const text = readFileSync(path.join(dir, name), 'utf8');
    return {
      version: Number(FILE_PATTERN.exec(name)?.[1]),
      name,
      sql: text,
      checksum: createHash('sha256').update(text).digest('hex'),
    };
  });
}

export class MigrationError extends Error {}

/** Applies every pending migration; returns the names applied by this call. */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  return db.withConnection(async (conn) => {
    await conn.query(sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await conn.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = await conn.query<{ version: number; checksum: string; name: string }>(
        sql`SELECT version, checksum, name FROM schema_migrations`,
      );
      const applied = new Map(done.map((r) => [r.version, r]));
      const ran: string[] = [];
      for (const m of migrations) {
        const prior = applied.get(m.version);
        if (prior) {
          if (prior.checksum !== m.checksum) {
            throw new MigrationError(`Migration ${m.name} was changed after it was applied (checksum differs)`);
          }
          continue;
        }
        await conn.exec('BEGIN');
        try {
          await conn.exec(m.sql);
          await conn.query(sql`INSERT INTO schema_migrations (version, name, checksum)
            VALUES (${m.version}, ${m.name}, ${m.checksum})`);
          await conn.exec('COMMIT');
        } catch (err) {
          await conn.exec('ROLLBACK');
          throw new MigrationError(`Migration ${m.name} failed: ${(err as Error).message}`);
        }
        ran.push(m.name);
      }
      return ran;
    } finally {
      await conn.query(sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  });
}

/** True when every migration file is recorded as applied (the readiness probe). */
export async function migrationsApplied(db: Db, migrations = readMigrations()): Promise<boolean> {
  const rows = await db.query<{ version: number }>(sql`SELECT version FROM schema_migrations`);
  const applied = new Set(rows.map((r) => r.version));
  return migrations.every((m) => applied.has(m.version));
}
