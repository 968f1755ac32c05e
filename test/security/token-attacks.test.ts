/**
 * Attacks on the access JWT (each refused with 401 and a stable code; the detail names the
 * reason) and the QR attacks not already covered by test/issuance/qr.test.ts and
 * test/redemptions/tokens.test.ts (forged MAC, swapped code, stale step, A-for-B, replay of
 * single- and multi-use vouchers live there).
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { dynamicMessage, formatDynamicToken, qrStep, voucherCodeFromBytes } from '@hqt/shared';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../server/src/capabilities/identity/tokens';
import { sql } from '../../server/src/platform/db';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { claim, redeem, scanToken, voucherState, walletToken } from '../redemptions/fixtures';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('token attacks', () => {
  let h: Harness;
  let admin: string;
  let claims: { sub: string; mem: unknown };
  let secret: string;
  const now = () => Math.floor(h.clock.now().getTime() / 1000);
  const me = (token: string) => h.http().get('/api/v1/me').set(bearer(token));

  beforeAll(async () => {
    h = await startHarness({ demo: true });
    admin = await h.login('admin');
    const decoded = jwt.decode(admin) as { sub: string; mem: unknown };
    claims = { sub: decoded.sub, mem: decoded.mem };
    secret = h.config.jwtKeys.current.secret;
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  /** Signs with the server's own key and header, overriding what the attack changes. */
  const signed = (payload: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign({ mem: claims.mem, iat: now(), ...payload }, secret, {
      algorithm: 'HS256', keyid: h.config.jwtKeys.current.id, subject: claims.sub, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 900, ...options,
    });

  const expectRefused = async (token: string, code: string, detail?: RegExp) => {
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe(code);
    if (detail) expect(res.body.detail).toMatch(detail);
  };

  test('when the real token is used, then it works (the control)', async () => {
    expect((await me(admin)).status).toBe(200);
    expect((await me(signed({}))).status).toBe(200);
  });

  test('when alg is "none" (unsigned), then TOKEN_INVALID', async () => {
    const [, payload] = admin.split('.');
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${payload}.`, 'TOKEN_INVALID');
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${payload}.x`, 'TOKEN_INVALID');
    await expectRefused(`${b64({ alg: 'NonE', typ: 'JWT', kid: 'k1' })}.${payload}.AAAAAAAAAA`, 'TOKEN_INVALID');
  });

  test('when the token is signed RS256 with the attacker’s key, or HS256 with a public key as the HMAC secret (key confusion), then TOKEN_INVALID', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const body = { mem: claims.mem, iat: now() };
    const common = { keyid: h.config.jwtKeys.current.id, subject: claims.sub, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 900 } as const;
    await expectRefused(jwt.sign(body, privateKey, { ...common, algorithm: 'RS256' }), 'TOKEN_INVALID', /invalid algorithm/);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = `${b64({ alg: 'HS256', typ: 'JWT', kid: h.config.jwtKeys.current.id })}.${b64({ ...body, sub: claims.sub, iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: now() + 900 })}`;
    await expectRefused(`${confused}.${createHmac('sha256', pem).update(confused).digest('base64url')}`, 'TOKEN_INVALID', /invalid signature/);
    // an attacker-supplied key in the header is ignored
    const embedded = `${b64({ alg: 'HS256', typ: 'JWT', kid: h.config.jwtKeys.current.id, jwk: { kty: 'oct', k: Buffer.from('attacker').toString('base64url') }, jku: 'https://evil.example.com/keys' })}.${confused.split('.')[1]}`;
    await expectRefused(`${embedded}.${createHmac('sha256', 'attacker').update(embedded).digest('base64url')}`, 'TOKEN_INVALID', /invalid signature/);
  });

  test('when the algorithm is changed to HS384/HS512 with the right secret, then TOKEN_INVALID (the algorithm is pinned)', async () => {
    await expectRefused(signed({}, { algorithm: 'HS512' }), 'TOKEN_INVALID', /invalid algorithm/);
    await expectRefused(signed({}, { algorithm: 'HS384' }), 'TOKEN_INVALID', /invalid algorithm/);
  });

  test('when the token has expired, then TOKEN_EXPIRED; when it is not valid yet, then TOKEN_INVALID', async () => {
    await expectRefused(signed({ iat: now() - 2000 }, { expiresIn: 1000 }), 'TOKEN_EXPIRED');
    await expectRefused(signed({}, { notBefore: 600 }), 'TOKEN_INVALID', /not active/);
    const issued = await h.login('admin');
    h.clock.advanceMs((h.config.accessTokenTtlSeconds + 1) * 1000);
    try {
      await expectRefused(issued, 'TOKEN_EXPIRED');
    } finally {
      h.clock.advanceMs(-(h.config.accessTokenTtlSeconds + 1) * 1000);
    }
  });

  test('when the issuer or the audience is wrong, then TOKEN_INVALID naming it', async () => {
    await expectRefused(signed({}, { issuer: 'someone-else' }), 'TOKEN_INVALID', /issuer invalid/);
    await expectRefused(signed({}, { audience: 'another-api' }), 'TOKEN_INVALID', /audience invalid/);
    await expectRefused(jwt.sign({ mem: claims.mem, sub: claims.sub, aud: JWT_AUDIENCE }, secret, { algorithm: 'HS256', keyid: 'k1', expiresIn: 900 }), 'TOKEN_INVALID', /issuer/);
  });

  test('when the key id is unknown, missing or hostile, then TOKEN_INVALID (no key is looked up by it)', async () => {
    for (const kid of ['k9', '../../../../dev/null', "k1' OR '1'='1", '', '__proto__', 'constructor']) {
      await expectRefused(signed({}, { keyid: kid }), 'TOKEN_INVALID', /key id/);
    }
    await expectRefused(jwt.sign({ mem: claims.mem, iat: now() }, secret, { algorithm: 'HS256', subject: claims.sub, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 900 }), 'TOKEN_INVALID', /key id/);
  });

  test('when the payload is edited to add a role, or the claims are missing, then TOKEN_INVALID', async () => {
    const consumer = await h.login('13800138000');
    const [head, payload, sig] = consumer.split('.');
    const edited = { ...JSON.parse(Buffer.from(payload as string, 'base64url').toString()), mem: [[null, 'platform_admin']] };
    await expectRefused(`${head}.${b64(edited)}.${sig}`, 'TOKEN_INVALID', /invalid signature/);
    await expectRefused(signed({ mem: undefined }), 'TOKEN_INVALID', /claims/);
    await expectRefused(jwt.sign({ mem: claims.mem, iat: now() }, secret, { algorithm: 'HS256', keyid: 'k1', issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 900 }), 'TOKEN_INVALID', /claims/);
  });

  describe('QR tokens (beyond the existing suites)', () => {
    let cashier: string;
    let poolId: string;
    beforeAll(async () => {
      cashier = await h.login('mch.catering.cashier');
      poolId = (await openPool(h, { perHolderMax: 20, budgetFen: 20 * 9000 })).id;
    });
    const attempt = (token: string, who = cashier) => redeem(h, who, { token, orderAmountFen: 40_000 });

    test('when the step is changed but the MAC kept, then TOKEN_FORGED (the MAC covers the step)', async () => {
      const v = await claim(h, poolId);
      const good = walletToken(v, h.clock.now().getTime());
      const [p, m, code, step, mac] = good.split('.');
      const res = await attempt([p, m, code, String(Number(step) + 1), mac].join('.'));
      expect(res.body.code).toBe('TOKEN_FORGED');
      expect(await voucherState(h, v.id)).toMatchObject({ balance_fen: 9_000, status: 'active' });
    });

    test('when a well-formed token names a code no voucher has, then TOKEN_FORGED', async () => {
      const code = voucherCodeFromBytes(Buffer.alloc(10, 7));
      const step = qrStep(h.clock.now().getTime());
      const token = formatDynamicToken(code, step, createHmac('sha256', 'guess').update(dynamicMessage(code, step)).digest('base64url'));
      expect((await attempt(token)).body.code).toBe('TOKEN_FORGED');
    });

    test('when a far-future or ancient step is MAC’d with the leaked voucher key, then TOKEN_STALE', async () => {
      const v = await claim(h, poolId);
      for (const offset of [100_000, -100_000]) expect((await attempt(walletToken(v, h.clock.now().getTime(), offset))).body.code).toBe('TOKEN_STALE');
    });

    test('when a token redeemed at one merchant is replayed at another, then it is refused and the voucher is spent once', async () => {
      const v = await claim(h, poolId);
      const token = scanToken(h, v);
      expect((await attempt(token)).status).toBe(201);
      const elsewhere = await attempt(token, await h.login('mch.compute.cashier'));
      expect([409, 403]).toContain(elsewhere.status);
      expect(['VOUCHER_NOT_ACTIVE', 'NOT_ENROLLED']).toContain(elsewhere.body.code);
      const again = await attempt(token);
      expect(again.body.code).toBe('VOUCHER_NOT_ACTIVE');
      const rows = await h.db.query(sql`SELECT id FROM redemptions WHERE voucher_id = ${v.id}`);
      expect(rows).toHaveLength(1);
    });

    test('when the issuer revoked the voucher, then its still-fresh token is refused with VOUCHER_NOT_ACTIVE', async () => {
      const v = await claim(h, poolId);
      const token = scanToken(h, v);
      const manager = await h.login('jxw.manager');
      expect((await h.http().post(`/api/v1/vouchers/${v.id}/revoke`).set(bearer(manager)).send({ reason: '风控' })).status).toBe(200);
      expect((await attempt(token)).body.code).toBe('VOUCHER_NOT_ACTIVE');
    });
  });
});
