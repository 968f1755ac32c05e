import { writeFileSync } from 'node:fs';
import { createPgDb } from '../../server/src/platform/db-pg';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { sql } from '../../server/src/platform/db';
import { pgliteTemplateFile, pgTemplateDb, withDatabase } from './template';
import { migrate } from '../../server/src/platform/migrate';

export default async function globalSetup(): Promise<void> {
  process.env.HQT_TEST_RUN_ID = `${process.pid}_${Date.now().toString(36)}`;
  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = createPgDb({ url, poolMax: 1 });
    await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${pgTemplateDb()}`));
    await admin.query(sql.raw(`CREATE DATABASE ${pgTemplateDb()}`));
    await admin.close();
    const template = createPgDb({ url: withDatabase(url, pgTemplateDb()), poolMax: 1 });
    await migrate(template);
    await template.close();
    return;
  }
  const db = await createPgliteDb({});
  await migrate(db);
  const dump = await db.pglite.dumpDataDir('none');
  writeFileSync(pgliteTemplateFile(), Buffer.from(await dump.arrayBuffer()));
  await db.close();
}
