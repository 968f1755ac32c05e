/**
 * Rate limits on login, claim, lottery entry and redeem, with the memory store and with the
 * Redis store (REDIS_URL; Redis on 127.0.0.1:6379, which .ci/run starts). Login is keyed by
 * IP and login name; the others by the signed-in user, so users behind one NAT (one IP) are
 * never throttled together. A throttled request is refused before it runs: 429 RATE_LIMITED
 * problem+json with Retry-After, and nothing is written.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { closeSharedRedis } from '../../server/src/platform/redis';
import { sql } from '../../server/src/platform/db';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, idemKey, openPool } from '../helpers/factories';
import { walletToken, type WalletVoucher } from '../redemptions/fixtures';

const REDIS_URL = process.env.HQT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMITS = { RATE_LIMIT_LOGIN: '5', RATE_LIMIT_CLAIMS: '2', RATE_LIMIT_LOTTERY_ENTRIES: '2', RATE_LIMIT_REDEMPTIONS: '3', RATE_LIMIT_WINDOW_SECONDS: '60' };

async function redisReachable(): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(6379, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    setTimeout(() => { socket.destroy(); resolve(false); }, 1_000);
  });
}

type Res = { status: number; headers: Record<string, string>; body: { code?: string } };

function expectThrottled(res: Res): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('RATE_LIMITED');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

/** Registers a fresh consumer (random phone: keys never collide across runs sharing one Redis). */
async function freshConsumer(h: Harness): Promise<{ login: string; token: string }> {
  const login = `139${String(randomInt(0, 1e8)).padStart(8, '0')}`;
  const reg = await h.http().post('/api/v1/auth/register/consumer').send({ phone: login, password: 'limit-pass-1' });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const res = await h.http().post('/api/v1/auth/login').send({ login, password: 'limit-pass-1' });
  return { login, token: res.body.accessToken as string };
}

function suite(name: string, env: () => Record<string, string>, skip: () => boolean) {
  describe(`rate limits (${name})`, () => {
    let h: Harness;
    let second: Harness;
    beforeAll(async () => {
      if (skip()) return;
      h = await startHarness({ demo: true, env: { ...LIMITS, ...env() } });
      second = await startHarness({ demo: true, env: { ...LIMITS, ...env() } });
    });
    afterAll(async () => {
      if (skip()) return;
      await h.close();
      await second.close();
      await closeSharedRedis();
    });
    const maybe = (title: string, fn: () => Promise<void>) => test(title, async () => {
      if (skip()) {
        process.stdout.write(`SKIPPED (${name}): Redis is not reachable at ${REDIS_URL}\n`);
        return;
      }
      await fn();
    });

    maybe('when one IP guesses one login too often, then 429 with Retry-After; another login from that IP, or that login from another IP, still passes', async () => {
      const login = `nobody.${randomUUID().slice(0, 8)}`;
      const attempt = (who: string, ip = '10.0.0.1') => h.http().post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ login: who, password: 'guess-1234' });
      for (let i = 0; i < 5; i++) expect((await attempt(login)).status).toBe(401);
      expectThrottled(await attempt(login));
      expectThrottled(await attempt(login.toUpperCase())); // the same login, however it is spelled
      expect((await attempt(`${login}.other`)).status).toBe(401);
      // from another address the IP limit does not apply; the account lockout (5 failures) does
      expect((await attempt(login, '10.0.0.2')).body.code).toBe('LOGIN_LOCKED');
    });

    maybe('when a user claims too often, then 429 and no voucher is issued; another user behind the same IP is not throttled', async () => {
      const pool = await openPool(h, { perHolderMax: 10 });
      const a = await freshConsumer(h);
      const b = await freshConsumer(h);
      const claim = (token: string) => h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
      expect((await claim(a.token)).status).toBe(201);
      expect((await claim(a.token)).status).toBe(201);
      const throttled = await claim(a.token);
      expectThrottled(throttled);
      const [row] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`);
      expect(row!.n).toBe(2);
      expect((await claim(b.token)).status).toBe(201);
    });

    maybe('when a user enters lotteries too often, then 429', async () => {
      const now = h.clock.now().getTime();
      const pool = await openPool(h, { distribution: 'lottery', claimOpensAt: new Date(now - HOUR_MS).toISOString(), claimClosesAt: new Date(now + HOUR_MS).toISOString() });
      const a = await freshConsumer(h);
      const enter = () => h.http().post(`/api/v1/pools/${pool.id}/lottery/entries`).set(bearer(a.token)).send();
      expect((await enter()).status).toBe(201);
      expect((await enter()).status).toBe(200);
      expectThrottled(await enter());
    });

    maybe('when a cashier redeems and previews too often, then 429 (one budget for both); another cashier is not throttled', async () => {
      const pool = await openPool(h, { perHolderMax: 10 });
      const holder = await freshConsumer(h);
      const vouchers: WalletVoucher[] = [];
      for (let i = 0; i < 2; i++) {
        vouchers.push((await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(holder.token)).set('Idempotency-Key', idemKey()).send({})).body);
      }
      const [cashierA, cashierB] = await Promise.all([addCashier(h), addCashier(h)]);
      const body = (v: WalletVoucher) => ({ token: walletToken(v, h.clock.now().getTime()), orderAmountFen: 40_000, orderRef: randomUUID().slice(0, 8) });
      expect((await h.http().post('/api/v1/redemptions/preview').set(bearer(cashierA)).send(body(vouchers[0]!))).status).toBe(200);
      expect((await h.http().post('/api/v1/redemptions').set(bearer(cashierA)).set('Idempotency-Key', idemKey()).send(body(vouchers[0]!))).status).toBe(201);
      expect((await h.http().post('/api/v1/redemptions/preview').set(bearer(cashierA)).send(body(vouchers[1]!))).status).toBe(200);
      expectThrottled(await h.http().post('/api/v1/redemptions').set(bearer(cashierA)).set('Idempotency-Key', idemKey()).send(body(vouchers[1]!)));
      expect((await h.http().post('/api/v1/redemptions').set(bearer(cashierB)).set('Idempotency-Key', idemKey()).send(body(vouchers[1]!))).status).toBe(201);
    });

    if (name === 'redis') {
      maybe('when two server instances share Redis, then they share the counters', async () => {
        const login = `shared.${randomUUID().slice(0, 8)}`;
        const attempt = (app: Harness) => app.http().post('/api/v1/auth/login').set('X-Forwarded-For', '10.0.0.9').send({ login, password: 'guess-1234' });
        for (let i = 0; i < 5; i++) expect((await attempt(i % 2 ? second : h)).status).toBe(401);
        expectThrottled(await attempt(second));
        expectThrottled(await attempt(h));
      });
    } else {
      maybe('when two server instances keep counters in memory, then each counts alone (why REDIS_URL matters with several instances)', async () => {
        const login = `alone.${randomUUID().slice(0, 8)}`;
        const attempt = (app: Harness) => app.http().post('/api/v1/auth/login').set('X-Forwarded-For', '10.0.0.9').send({ login, password: 'guess-1234' });
        for (let i = 0; i < 5; i++) expect((await attempt(h)).status).toBe(401);
        expectThrottled(await attempt(h));
        expect((await attempt(second)).status).toBe(401);
      });
    }
  });
}

async function addCashier(h: Harness): Promise<string> {
  const admin = await h.login('mch.catering');
  const me = await h.http().get('/api/v1/me').set(bearer(admin));
  const login = `c${randomUUID().slice(0, 8)}.cashier`;
  const res = await h.http().post(`/api/v1/orgs/${me.body.memberships[0].orgId}/members`).set(bearer(admin))
    .send({ login, password: 'cashier-pass-1', displayName: '收银员', role: 'merchant_cashier' });
  if (res.status !== 201) throw new Error(`add cashier: ${res.status}`);
  return h.login(login, 'cashier-pass-1');
}

/** The set-up logins come from the loopback address; counters of an earlier run in this window would throttle them. */
async function forgetLoopbackCounters(): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: 'hqt:rl:*127.0.0.1*', COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    await client.close();
  }
}

let redisUp = false;
beforeAll(async () => {
  redisUp = await redisReachable();
  if (!redisUp && process.env.CI) throw new Error(`CI must run Redis at ${REDIS_URL} (.ci/run starts it)`);
  if (redisUp) await forgetLoopbackCounters();
});

suite('memory', () => ({}), () => false);
suite('redis', () => ({ REDIS_URL }), () => !redisUp);
