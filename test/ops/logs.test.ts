/**
 * Log lines an operator relies on: one JSON line per request with the request id (the
 * caller's X-Request-Id when well-formed), the actor's user id — never a login, phone number
 * or name — and the latency; LOG_LEVEL silences them.
 */
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';

interface Line { msg: string; req?: { id: string; method: string; url: string }; res?: { statusCode: number }; responseTime?: number; actorId?: string; pid?: number }

const CONSUMER_PHONE = '13800138000';

function requestLines(h: Harness, urlPart: string): Line[] {
  return h.logs.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request completed' && l.req?.url.includes(urlPart));
}

describe('request logs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true, env: { LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await h.close();
  });

  test('when a consumer claims and reads her wallet, then each request has one line with its id, her user id and the latency, and no phone number', async () => {
    const pool = await openPool(h, { perHolderMax: 2 });
    const token = await h.login(CONSUMER_PHONE);
    const me = await h.http().get('/api/v1/me').set(bearer(token));
    const claim = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey())
      .set('X-Request-Id', 'trace-0123456789').send({});
    expect(claim.status).toBe(201);
    expect(claim.headers['x-request-id']).toBe('trace-0123456789');
    await h.http().get('/api/v1/vouchers').set(bearer(token)).set('X-Request-Id', 'bad id with spaces');

    const [claimLine] = requestLines(h, '/claims');
    expect(claimLine).toMatchObject({ req: { id: 'trace-0123456789', method: 'POST' }, res: { statusCode: 201 }, actorId: me.body.id });
    expect(claimLine!.responseTime).toEqual(expect.any(Number));
    expect(claimLine!.pid).toBe(process.pid);
    const [walletLine] = requestLines(h, '/api/v1/vouchers');
    expect(walletLine!.req!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(walletLine!.actorId).toBe(me.body.id);
    const requestLogText = h.logs.filter((l) => l.includes('request completed')).join('\n');
    expect(requestLogText).not.toContain(CONSUMER_PHONE);
  });
});

describe('LOG_LEVEL', () => {
  test('when LOG_LEVEL=warn, then requests write no info lines', async () => {
    const h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
    try {
      await h.http().get('/api/v1/health');
      expect(h.logs.filter((l) => l.includes('request completed'))).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
