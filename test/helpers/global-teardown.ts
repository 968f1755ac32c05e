import { rmSync } from 'node:fs';
import { createPgDb } from '../../server/src/platform/db-pg';
import { sql } from '../../server/src/platform/db';
import { pgliteTemplateFile, pgTemplateDb } from './template';

export default async function globalTeardown(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = createPgDb({ url, poolMax: 1 });
    await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${pgTemplateDb()} WITH (FORCE)`));
    await admin.close();
  } else {
    rmSync(pgliteTemplateFile(), { force: true });
  }
}
