/**
 * JWT key rotation (docs/RELIABILITY.md, "Rotating the JWT key"): the kid in the header picks
 * the key; during a rotation two keys verify and only the current one signs; dropping the
 * previous key ends its tokens; refresh tokens (opaque, stored hashed) survive every step.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createApp } from '../../server/src/app/create-app';
import { ConfigError } from '../../server/src/config/config';
import { createLogger } from '../../server/src/platform/logger';
import { startHarness, bearer, testConfig, DEMO_PASSWORD, type Harness } from '../helpers/harness';

describe('JWT key rotation', () => {
  let h: Harness;
  const oldKey = randomBytes(32).toString('hex');
  const newKey = randomBytes(32).toString('hex');
  beforeAll(async () => {
    h = await startHarness({ demo: true, env: { JWT_SECRET: oldKey, JWT_KEY_ID: 'k2025' } });
  });
  afterAll(() => h.close());

  /** Another server instance on the same database with other key settings. */
  function instance(env: Record<string, string>) {
    const config = testConfig({ QR_SECRET: h.config.qrSecret, ID_HASH_SECRET: h.config.idHashSecret, ...env });
    const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
    const { app } = createApp({ config, db: h.db, logger, clock: h.clock });
    return {
      me: (token: string) => request(app).get('/api/v1/me').set(bearer(token)),
      login: async () => (await request(app).post('/api/v1/auth/login').send({ login: 'admin', password: DEMO_PASSWORD })).body as { accessToken: string; refreshToken: string },
      refresh: async (refreshToken: string) => request(app).post('/api/v1/auth/refresh').send({ refreshToken }),
    };
  }
  const kidOf = (token: string) => (jwt.decode(token, { complete: true }) as { header: { kid: string } }).header.kid;

  test('when the key rotates in three steps, then every token verifies exactly while its key is configured', async () => {
    const before = instance({ JWT_SECRET: oldKey, JWT_KEY_ID: 'k2025' });
    const oldTokens = await before.login();
    expect(kidOf(oldTokens.accessToken)).toBe('k2025');

    // step 1 (every instance): the new key is accepted but not yet used for signing
    const step1 = instance({ JWT_SECRET: oldKey, JWT_KEY_ID: 'k2025', JWT_PREVIOUS_SECRET: newKey, JWT_PREVIOUS_KEY_ID: 'k2026' });
    expect(kidOf((await step1.login()).accessToken)).toBe('k2025');

    // step 2 (every instance): the new key signs, the old one still verifies
    const step2 = instance({ JWT_SECRET: newKey, JWT_KEY_ID: 'k2026', JWT_PREVIOUS_SECRET: oldKey, JWT_PREVIOUS_KEY_ID: 'k2025' });
    const newTokens = await step2.login();
    expect(kidOf(newTokens.accessToken)).toBe('k2026');
    // during a rolling deploy a step-1 instance and a step-2 instance accept each other's tokens
    for (const server of [step1, step2]) {
      expect((await server.me(oldTokens.accessToken)).status).toBe(200);
      expect((await server.me(newTokens.accessToken)).status).toBe(200);
    }
    // an instance that skipped step 1 would refuse the new tokens: that is why step 1 exists
    expect((await before.me(newTokens.accessToken)).status).toBe(401);

    // step 3 (after the access-token lifetime): the old key is dropped and its tokens end
    const step3 = instance({ JWT_SECRET: newKey, JWT_KEY_ID: 'k2026' });
    const refused = await step3.me(oldTokens.accessToken);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'TOKEN_INVALID', detail: 'Unknown or missing key id' });
    expect((await step3.me(newTokens.accessToken)).status).toBe(200);

    // refresh tokens are not JWTs: a session started before the rotation carries on with a new-key token
    const refreshed = await step3.refresh(oldTokens.refreshToken);
    expect(refreshed.status).toBe(200);
    expect(kidOf(refreshed.body.accessToken)).toBe('k2026');
  });

  test('when a token signed with the old secret claims the new kid, then it is refused (the kid selects the key, not the other way round)', async () => {
    const step2 = instance({ JWT_SECRET: newKey, JWT_KEY_ID: 'k2026', JWT_PREVIOUS_SECRET: oldKey, JWT_PREVIOUS_KEY_ID: 'k2025' });
    const decoded = jwt.decode((await step2.login()).accessToken) as jwt.JwtPayload;
    const mislabelled = jwt.sign({ mem: decoded.mem, sub: decoded.sub, iss: decoded.iss, aud: decoded.aud, exp: decoded.exp }, oldKey, { algorithm: 'HS256', keyid: 'k2026' });
    expect((await step2.me(mislabelled)).body.code).toBe('TOKEN_INVALID');
  });

  test('when the previous key id equals the current one, or comes without its secret, then the configuration is refused', () => {
    expect(() => testConfig({ JWT_SECRET: newKey, JWT_KEY_ID: 'k1', JWT_PREVIOUS_SECRET: oldKey, JWT_PREVIOUS_KEY_ID: 'k1' })).toThrow(ConfigError);
    expect(() => testConfig({ JWT_SECRET: newKey, JWT_KEY_ID: 'k1', JWT_PREVIOUS_KEY_ID: 'k0' })).toThrow(/JWT_PREVIOUS/);
  });
});
