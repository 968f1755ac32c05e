/**
 * Browser-facing policy: helmet's headers on every answer (problems included), CORS closed
 * by default and open only to the CORS_ORIGINS allow-list, and no cookies anywhere in a
 * full session (the API authenticates by bearer token only).
 */
import request from 'supertest';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';

const FOREIGN = 'https://evil.example.com';
const CONSOLE = 'https://console.hqt.example.gov.cn';

describe('security headers, CORS and cookies', () => {
  let h: Harness;
  let open: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    open = await startHarness({ env: { CORS_ORIGINS: `${CONSOLE}, https://second.example.gov.cn` } });
  });
  afterAll(async () => {
    await h.close();
    await open.close();
  });

  test('when any answer is sent (success, problem, docs), then helmet’s headers are on it', async () => {
    for (const res of [
      await h.http().get('/api/v1/health'),
      await h.http().get('/api/v1/me'),
      await h.http().post('/api/v1/auth/login').send({ login: 'admin', password: 'wrong-password' }),
      await h.http().get('/api/v1/no-such-route'),
    ]) {
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  test('when a foreign origin calls or preflights, then no Access-Control-Allow-Origin is sent (CORS closed by default)', async () => {
    const simple = await h.http().get('/api/v1/health').set('Origin', FOREIGN);
    expect(simple.status).toBe(200);
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await h.http().options('/api/v1/auth/login').set('Origin', FOREIGN)
      .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,authorization');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    // the console's own origin gets nothing either when no allow-list is configured
    expect((await h.http().get('/api/v1/health').set('Origin', CONSOLE)).headers['access-control-allow-origin']).toBeUndefined();
  });

  test('when CORS_ORIGINS lists an origin, then that origin (only) is allowed, without credentials', async () => {
    const preflight = await open.http().options('/api/v1/redemptions').set('Origin', CONSOLE)
      .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(CONSOLE);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/);
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect(preflight.headers.vary).toMatch(/Origin/);
    const simple = await open.http().get('/api/v1/health').set('Origin', CONSOLE);
    expect(simple.headers['access-control-allow-origin']).toBe(CONSOLE);
    const foreign = await open.http().get('/api/v1/health').set('Origin', FOREIGN);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const foreignPreflight = await open.http().options('/api/v1/redemptions').set('Origin', FOREIGN).set('Access-Control-Request-Method', 'POST');
    expect(foreignPreflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('when a whole session runs (register, login, refresh, claim, QR, logout, errors), then no answer sets a cookie', async () => {
    const answers = [];
    answers.push(await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13900002222', password: 'cookie-free-1' }));
    const login = await h.http().post('/api/v1/auth/login').send({ login: '13900002222', password: 'cookie-free-1' });
    answers.push(login);
    const refreshed = await h.http().post('/api/v1/auth/refresh').send({ refreshToken: login.body.refreshToken });
    answers.push(refreshed);
    const token = refreshed.body.accessToken as string;
    const pool = await openPool(h, { perHolderMax: 2 });
    const claim = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
    answers.push(claim);
    answers.push(await h.http().get(`/api/v1/vouchers/${claim.body.id}/qr`).set(bearer(token)));
    answers.push(await h.http().get('/api/v1/me').set(bearer(token)));
    answers.push(await h.http().post('/api/v1/auth/logout').send({ refreshToken: refreshed.body.refreshToken }));
    answers.push(await h.http().post('/api/v1/auth/login').send({ login: '13900002222', password: 'wrong-password' }));
    answers.push(await h.http().get('/api/v1/openapi.json'));
    answers.push(await request(h.app).get('/api/docs/'));
    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 201, 200, 200, 204, 401, 200, 200]);
    for (const a of answers) expect(a.headers['set-cookie']).toBeUndefined();
  });
});
