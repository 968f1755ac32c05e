/**
 * The PostgreSQL-server engine runs statements with parameters as named prepared statements
 * (server/src/platform/db-pg.ts). A table changed under a prepared SELECT * must not break
 * the statement for good: outside a transaction it runs again under a new name.
 */
import { openTestDb } from '../helpers/harness';
import { sql, type Db } from '../../server/src/platform/db';

const onServer = process.env.DATABASE_URL ? describe : describe.skip;

onServer('prepared statements (PostgreSQL server)', () => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await openTestDb());
    await db.query(sql`CREATE TABLE prep_probe (id int PRIMARY KEY, a text)`);
    await db.query(sql`INSERT INTO prep_probe VALUES (1, 'one'), (2, 'two')`);
  });
  afterAll(async () => {
    await drop();
  });

  test('when the same statement runs many times on every connection, then it answers the same as the first time', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => db.query<{ a: string }>(sql`SELECT a FROM prep_probe WHERE id = ${(i % 2) + 1}`)));
    expect(results.map((r) => r[0]?.a)).toEqual(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 'one' : 'two')));
  });

  test('when a column is added under a prepared SELECT *, then the next run outside a transaction still answers, with the new column', async () => {
    const before = await Promise.all(Array.from({ length: 20 }, () => db.query(sql`SELECT * FROM prep_probe WHERE id = ${1}`)));
    expect(before[0]).toEqual([{ id: 1, a: 'one' }]);
    await db.query(sql.raw(`ALTER TABLE prep_probe ADD COLUMN b text DEFAULT 'new'`));
    const after = await Promise.all(Array.from({ length: 20 }, () => db.query(sql`SELECT * FROM prep_probe WHERE id = ${1}`)));
    for (const rows of after) expect(rows).toEqual([{ id: 1, a: 'one', b: 'new' }]);
  });

  test('when a statement fails inside a transaction, then the transaction rolls back and the connection is fine afterwards', async () => {
    await expect(db.transaction(async (tx) => {
      await tx.query(sql`INSERT INTO prep_probe (id, a) VALUES (${3}, ${'three'})`);
      await tx.query(sql`INSERT INTO prep_probe (id, a) VALUES (${3}, ${'again'})`);
    })).rejects.toThrow(/duplicate key/);
    const rows = await db.query(sql`SELECT id FROM prep_probe WHERE id = ${3}`);
    expect(rows).toEqual([]);
  });
});
