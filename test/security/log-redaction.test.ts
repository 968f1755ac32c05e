/**
 * Data protection in logs: a full flow at debug level (register with a resident ID, login,
 * refresh, claim, QR, redeem, logout, and the failures an attacker causes), then every
 * captured log line is searched for each secret. pino's redact paths remove them at the
 * source (server/src/platform/logger.ts).
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../server/src/platform/logger';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { walletToken, type WalletVoucher } from '../redemptions/fixtures';

/** A valid resident ID (GB 11643 check digit) for a given 17-digit stem. */
function residentId(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * (w[i] as number), 0);
  return first17 + '10X98765432'.charAt(sum % 11);
}

describe('no secret or personal number reaches the logs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true, env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when a consumer registers with a resident ID, logs in, refreshes, claims, is redeemed and logs out (with failures on the way), then no log line holds any of the secrets', async () => {
    const rid = residentId('31011519880815642');
    const password = 'Pa55word-do-not-log';
    const phone = '13900003333';
    const secrets: string[] = [rid, rid.toLowerCase(), rid.slice(6, 14) + rid.slice(14), password];

    const reg = await h.http().post('/api/v1/auth/register/consumer').send({ phone, password, residentId: rid, displayName: '李四' });
    expect(reg.status).toBe(201);
    // the same ID again (a conflict) and a malformed one: failures must not log them either
    expect((await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13900004444', password, residentId: rid })).status).toBe(409);
    expect((await h.http().post('/api/v1/auth/register/consumer').send({ phone: '13900005555', password, residentId: `${rid.slice(0, 17)}0` })).status).toBe(400);
    expect((await h.http().post('/api/v1/auth/login').send({ login: phone, password: `${password}-wrong` })).status).toBe(401);
    secrets.push(`${password}-wrong`);
    expect((await h.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send(`{"login":"${phone}","password":"${password}"`)).status).toBe(400);

    const login = await h.http().post('/api/v1/auth/login').send({ login: phone, password });
    expect(login.status).toBe(200);
    const refreshed = await h.http().post('/api/v1/auth/refresh').send({ refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    const reused = await h.http().post('/api/v1/auth/refresh').send({ refreshToken: login.body.refreshToken });
    expect(reused.status).toBe(401);
    const relogin = await h.http().post('/api/v1/auth/login').send({ login: phone, password });
    const access = relogin.body.accessToken as string;
    secrets.push(login.body.accessToken, login.body.refreshToken, refreshed.body.accessToken, refreshed.body.refreshToken, access, relogin.body.refreshToken);

    const pool = await openPool(h, { perHolderMax: 2 });
    const claim = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(access)).set('Idempotency-Key', idemKey()).send({});
    expect(claim.status).toBe(201);
    const voucher = claim.body as WalletVoucher;
    secrets.push(voucher.qr.key as string);
    expect((await h.http().get(`/api/v1/vouchers/${voucher.id}/qr`).set(bearer(access))).status).toBe(200);
    expect((await h.http().get('/api/v1/me').set(bearer(`${access.slice(0, -4)}AAAA`))).status).toBe(401);
    expect((await h.http().get('/api/v1/me').set('Authorization', `Basic ${Buffer.from(`${phone}:${password}`).toString('base64')}`)).status).toBe(401);
    secrets.push(Buffer.from(`${phone}:${password}`).toString('base64'));

    const cashier = await h.login('mch.catering.cashier');
    secrets.push(cashier);
    const token = walletToken(voucher, h.clock.now().getTime());
    secrets.push(token);
    const redeemed = await h.http().post('/api/v1/redemptions').set(bearer(cashier)).set('Idempotency-Key', idemKey())
      .send({ token, orderAmountFen: 40_000, orderRef: 'log-1' });
    expect(redeemed.status).toBe(201);
    expect((await h.http().post('/api/v1/auth/logout').send({ refreshToken: relogin.body.refreshToken })).status).toBe(204);

    const logs = h.logs.join('');
    expect(h.config.logLevel).toBe('trace');
    expect(h.logs.length).toBeGreaterThan(20); // every request line was captured
    const leaked = secrets.filter((s) => logs.includes(s) || logs.includes(JSON.stringify(s).slice(1, -1)));
    expect(leaked).toEqual([]);
    // the JWT signature alone, and the bearer scheme, are absent too
    for (const t of [access, cashier]) expect(logs).not.toContain(t.split('.')[2]);
    expect(logs).not.toMatch(/Bearer [A-Za-z0-9_-]{10,}/);
    expect(logs).not.toMatch(/"authorization":"(?!\[redacted\])/i);
  });

  test('when code logs a request, a body, a user row or a driver error carrying secrets, then the redact paths remove them', () => {
    const lines: string[] = [];
    const logger = createLogger('trace', new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
    const secret = 'S3CRET-VALUE-4242';
    logger.info({ req: { headers: { authorization: `Bearer ${secret}`, cookie: `sid=${secret}` }, body: { password: secret, residentId: secret } } }, 'request');
    logger.debug({ body: { password: secret, residentId: secret, refreshToken: secret, token: secret } }, 'body');
    logger.debug({ user: { password_hash: secret, passwordHash: secret, residentId: secret }, tokens: { accessToken: secret, refreshToken: secret } }, 'user');
    logger.debug({ voucher: { qr: { key: secret, token: secret } } }, 'voucher');
    logger.error({ err: { message: 'Failed query', params: [secret, 'x'] } }, 'driver error');
    logger.debug({ headers: { authorization: secret }, config: { jwtKeys: { current: { secret } } } }, 'headers');
    expect(lines).toHaveLength(6);
    expect(lines.join('')).not.toContain(secret);
  });
});
