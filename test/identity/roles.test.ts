import { startHarness, bearer, type Harness } from '../helpers/harness';
import { sql } from '../../server/src/platform/db';

describe('role boundaries and tenant isolation', () => {
  let h: Harness;
  let orgIdOf: (login: string) => Promise<string>;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    orgIdOf = async (login) => {
      const rows = await h.db.query<{ org_id: string }>(sql`SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.login = ${login}`);
      return rows[0]!.org_id;
    };
  });
  afterAll(() => h.close());

  test('when a consumer calls an issuer endpoint, then 403 FORBIDDEN', async () => {
    const token = await h.login('13800138000');
    const res = await h.http().get('/api/v1/audit/verify').set(bearer(token));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  test("when an issuer user asks for another issuer's organisation, then 404, the same as a missing one", async () => {
    const token = await h.login('jxw.manager');
    const other = await orgIdOf('swj.manager');
    const res = await h.http().get(`/api/v1/orgs/${other}`).set(bearer(token));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const own = await h.http().get(`/api/v1/orgs/${await orgIdOf('jxw.manager')}`).set(bearer(token));
    expect(own.status).toBe(200);
    expect(own.body.nameZh).toBe('上海市经济和信息化委员会');
    const missing = await h.http().get('/api/v1/orgs/2b1b0ac2-4c56-4f2e-9c1d-0d1f4ab2f0aa').set(bearer(token));
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body).sort()).toEqual(Object.keys(res.body).sort());
  });

  test("when a merchant admin adds staff to another merchant, then 404; to its own, then 201 and the role change is audited", async () => {
    const token = await h.login('mch.catering');
    const body = { login: 'cashier.two', password: 'secret-pass-1', displayName: '收银员二', role: 'merchant_cashier' };
    const foreign = await h.http().post(`/api/v1/orgs/${await orgIdOf('mch.compute')}/members`).set(bearer(token)).send(body);
    expect(foreign.status).toBe(404);
    const own = await h.http().post(`/api/v1/orgs/${await orgIdOf('mch.catering')}/members`).set(bearer(token)).send(body);
    expect(own.status).toBe(201);
    const audit = await h.db.query<{ action: string; summary: { role: string } }>(sql`SELECT action, summary FROM audit_log WHERE action = 'membership.granted'`);
    expect(audit).toEqual([{ action: 'membership.granted', summary: { role: 'merchant_cashier', login: 'cashier.two' } }]);
  });

  test('when a merchant admin tries to grant an issuer role, then 403', async () => {
    const token = await h.login('mch.catering');
    const res = await h.http().post(`/api/v1/orgs/${await orgIdOf('mch.catering')}/members`).set(bearer(token))
      .send({ login: 'sneaky.one', password: 'secret-pass-1', displayName: 'x', role: 'issuer_approver' });
    expect(res.status).toBe(403);
  });

  test('when no token or a forged token is sent, then 401 problems', async () => {
    const none = await h.http().get('/api/v1/me');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHENTICATED');
    const token = await h.login('admin');
    const [head, payload] = token.split('.');
    const forged = await h.http().get('/api/v1/me').set(bearer(`${head}.${payload}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`));
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('TOKEN_INVALID');
    const unsigned = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'k1' })).toString('base64url');
    const noneAlg = await h.http().get('/api/v1/me').set(bearer(`${unsigned}.${payload}.`));
    expect(noneAlg.status).toBe(401);
  });
});
