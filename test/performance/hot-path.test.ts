/**
 * The lean chain of the hot routes (server/src/app/hot-path.ts) must answer exactly like the
 * full chain: the same security headers, request ids, access-log lines, validation, problems;
 * and it sheds load with 503 OVERLOADED while the database queue is past its bound.
 */
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';

describe('hot path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true, env: { DB_WAITING_MAX: '10' } });
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  const securityHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers)
    .filter(([k]) => !['date', 'etag', 'content-length', 'content-type', 'x-request-id', 'connection', 'keep-alive', 'idempotent-replayed'].includes(k) && !k.startsWith('ratelimit')));

  test('when a claim takes the lean chain, then it carries the same security headers as any other answer, and its own request id', async () => {
    const pool = await openPool(h, {});
    const token = await h.login('13800138000');
    const claim = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey())
      .set('X-Request-Id', 'hot-path-test-1').send({});
    expect(claim.status).toBe(201);
    const me = await h.http().get('/api/v1/me').set(bearer(token));
    expect(securityHeaders(claim.headers)).toEqual(securityHeaders(me.headers));
    expect(claim.headers['content-security-policy']).toBeDefined();
    expect(claim.headers['x-request-id']).toBe('hot-path-test-1');
    const line = h.logs.map((l) => JSON.parse(l) as { req?: { id: string; url: string }; res?: { statusCode: number }; actorId?: string; msg: string })
      .find((l) => l.req?.id === 'hot-path-test-1');
    expect(line).toMatchObject({ msg: 'request completed', res: { statusCode: 201 }, req: { url: `/api/v1/pools/${pool.id}/claims` } });
    expect(line?.actorId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('when a hot request is malformed, then the same problems come back (auth, validation, media type, hostile keys)', async () => {
    const pool = await openPool(h, {});
    const token = await h.login('13800138000');
    const noAuth = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set('Idempotency-Key', idemKey()).send({});
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers['content-type']).toMatch(/^application\/problem\+json/);
    const badId = await h.http().post('/api/v1/pools/not-a-uuid/claims').set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
    expect(badId.status).toBe(400);
    expect(badId.body.code).toBe('VALIDATION_FAILED');
    const text = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey())
      .set('Content-Type', 'text/plain').send('x');
    expect(text.status).toBe(415);
    const hostile = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey())
      .set('Content-Type', 'application/json').send('{"__proto__":{"x":1}}');
    expect(hostile.status).toBe(400);
    expect(hostile.body.code).toBe('VALIDATION_FAILED');
    const cashier = await h.login('mch.catering.cashier');
    const wrongRole = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(cashier)).set('Idempotency-Key', idemKey()).send({});
    expect(wrongRole.status).toBe(403);
  });

  test('when more queries wait for the database than DB_WAITING_MAX, then hot routes answer 503 OVERLOADED with Retry-After and the rest of the API still answers', async () => {
    const pool = await openPool(h, {});
    const token = await h.login('13800138000');
    const original = h.db.stats;
    h.db.stats = () => ({ total: 20, idle: 0, waiting: 11, max: 20 });
    try {
      const shed = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
      expect(shed.status).toBe(503);
      expect(shed.body.code).toBe('OVERLOADED');
      expect(shed.headers['retry-after']).toBe('1');
      const redeem = await h.http().post('/api/v1/redemptions').set(bearer(await h.login('mch.catering.cashier'))).set('Idempotency-Key', idemKey())
        .send({ token: 'x', orderAmountFen: 1, orderRef: 'r' });
      expect(redeem.status).toBe(503);
      expect((await h.http().get(`/api/v1/pools/${pool.id}`).set(bearer(token))).status).toBe(200);
    } finally {
      h.db.stats = original;
    }
    const after = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
    expect(after.status).toBe(201);
  });
});
