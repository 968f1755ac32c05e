import { startHarness, bearer, type Harness } from '../helpers/harness';
import { sql } from '../../server/src/platform/db';

describe('sessions: login, me, refresh rotation, reuse detection, logout, lockout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  test('when a consumer registers and runs through a whole session, then rotation and reuse detection hold', async () => {
    const reg = await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13911112222', password: 'correct-horse-1' });
    expect(reg.status).toBe(201);

    const login = await h.http().post('/api/v1/auth/login').send({ login: '13911112222', password: 'correct-horse-1' });
    expect(login.status).toBe(200);
    const { accessToken, refreshToken } = login.body;
    expect(login.body.expiresInSeconds).toBe(900);

    const me = await h.http().get('/api/v1/me').set(bearer(accessToken));
    expect(me.status).toBe(200);
    expect(me.body.memberships).toEqual([{ orgId: null, orgType: null, orgNameZh: null, orgNameEn: null, role: 'consumer' }]);
    expect(me.body.phoneMasked).toBe('139****2222');

    const refreshed = await h.http().post('/api/v1/auth/refresh').send({ refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(refreshToken);

    // presenting the rotated token again revokes the whole family
    const reuse = await h.http().post('/api/v1/auth/refresh').send({ refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('REFRESH_TOKEN_REUSED');
    const newerAfterReuse = await h.http().post('/api/v1/auth/refresh').send({ refreshToken: refreshed.body.refreshToken });
    expect(newerAfterReuse.status).toBe(401);
    expect(newerAfterReuse.body.code).toBe('REFRESH_TOKEN_REUSED');

    // a fresh session logs out; its refresh token no longer works, logout stays idempotent
    const second = await h.http().post('/api/v1/auth/login').send({ login: '13911112222', password: 'correct-horse-1' });
    const logout = await h.http().post('/api/v1/auth/logout').send({ refreshToken: second.body.refreshToken });
    expect(logout.status).toBe(204);
    expect((await h.http().post('/api/v1/auth/logout').send({ refreshToken: second.body.refreshToken })).status).toBe(204);
    const afterLogout = await h.http().post('/api/v1/auth/refresh').send({ refreshToken: second.body.refreshToken });
    expect(afterLogout.status).toBe(401);
  });

  test('when the refresh token is unknown, then 401 REFRESH_TOKEN_INVALID', async () => {
    const res = await h.http().post('/api/v1/auth/refresh').send({ refreshToken: 'not-a-token' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('REFRESH_TOKEN_INVALID');
  });

  test('when the access token has expired, then 401 TOKEN_EXPIRED', async () => {
    await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13911113333', password: 'correct-horse-1' });
    const login = await h.http().post('/api/v1/auth/login').send({ login: '13911113333', password: 'correct-horse-1' });
    h.clock.advanceMs(16 * 60 * 1000);
    const res = await h.http().get('/api/v1/me').set(bearer(login.body.accessToken));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_EXPIRED');
  });

  test('when 5 logins fail within 15 minutes, then the account is locked for 15 minutes with Retry-After, and it is audited', async () => {
    await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13911114444', password: 'correct-horse-1' });
    for (let i = 0; i < 5; i++) {
      const res = await h.http().post('/api/v1/auth/login').send({ login: '13911114444', password: 'wrong-password' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_CREDENTIALS');
    }
    const locked = await h.http().post('/api/v1/auth/login').send({ login: '13911114444', password: 'correct-horse-1' });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('LOGIN_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(900);

    h.clock.advanceMs(15 * 60 * 1000 + 1000);
    const after = await h.http().post('/api/v1/auth/login').send({ login: '13911114444', password: 'correct-horse-1' });
    expect(after.status).toBe(200);

    const actions = await h.db.query<{ action: string }>(sql`SELECT action FROM audit_log WHERE action LIKE 'auth.%' ORDER BY id`);
    expect(actions.filter((a) => a.action === 'auth.login_failed').length).toBeGreaterThanOrEqual(5);
    expect(actions.map((a) => a.action)).toContain('auth.locked_out');
  });

  test('when 4 failures are spread beyond the window, then no lock', async () => {
    await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13911115555', password: 'correct-horse-1' });
    for (let i = 0; i < 4; i++) await h.http().post('/api/v1/auth/login').send({ login: '13911115555', password: 'nope-nope' });
    h.clock.advanceMs(16 * 60 * 1000);
    for (let i = 0; i < 4; i++) await h.http().post('/api/v1/auth/login').send({ login: '13911115555', password: 'nope-nope' });
    const ok = await h.http().post('/api/v1/auth/login').send({ login: '13911115555', password: 'correct-horse-1' });
    expect(ok.status).toBe(200);
  });
});
