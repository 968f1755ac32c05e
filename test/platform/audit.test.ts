import { startHarness, bearer, type Harness } from '../helpers/harness';
import { sql } from '../../server/src/platform/db';

describe('audit log: append-only, hash-chained', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(() => h.close());

  test('when registrations and failed logins happen, then each is audited and the chain verifies', async () => {
    await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13700001111', password: 'long-enough-1' });
    await h.http().post('/api/v1/auth/login').send({ login: '13700001111', password: 'wrong-wrong' });
    await Promise.all(Array.from({ length: 8 }, (_, i) =>
      h.http().post('/api/v1/auth/register/consumer').send({ phone: `1370000200${i}`, password: 'long-enough-1' })));
    const token = await h.login('admin');
    const verify = await h.http().get('/api/v1/audit/verify').set(bearer(token));
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, firstBrokenId: null });
    expect(verify.body.checked).toBeGreaterThanOrEqual(10);
    const list = await h.http().get('/api/v1/audit?limit=5').set(bearer(token));
    expect(list.body.items).toHaveLength(5);
    expect(list.body.nextCursor).not.toBeNull();
    const next = await h.http().get(`/api/v1/audit?limit=5&cursor=${list.body.nextCursor}`).set(bearer(token));
    expect(next.body.items[0].id).toBeLessThan(list.body.items[4].id);
  });

  test('when anyone tries to UPDATE or DELETE an entry, then the database refuses', async () => {
    await expect(h.db.query(sql`UPDATE audit_log SET action = 'x' WHERE id = 1`)).rejects.toThrow(/append-only/);
    await expect(h.db.query(sql`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
  });

  test('when a superuser disables the trigger and tampers with one row, then verify names that row', async () => {
    const rows = await h.db.query<{ id: number }>(sql`SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 3`);
    const target = rows[0]!.id;
    await h.db.transaction(async (tx) => {
      await tx.query(sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
      await tx.query(sql`UPDATE audit_log SET summary = '{"phone":"forged"}'::jsonb WHERE id = ${target}`);
      await tx.query(sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
    });
    const token = await h.login('admin');
    const verify = await h.http().get('/api/v1/audit/verify').set(bearer(token));
    expect(verify.body).toMatchObject({ ok: false, firstBrokenId: target });
  });
});
