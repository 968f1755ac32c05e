/**
 * Prometheus metrics: /metrics on the main port needs METRICS_TOKEN as a bearer token, the
 * separate METRICS_PORT serves the same text, and the names operators alert on are there —
 * per-route HTTP counts and latency (route paths, not raw URLs), claims / redemptions /
 * reversals by result, sold-out answers, batch sizes, pool budget gauges read from the
 * database, job runs, database pool usage and the event-loop lag.
 */
import type { Server } from 'node:http';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { bulkConsumers, idemKey, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { redeem, scanToken, type WalletVoucher } from '../redemptions/fixtures';
import { startMetricsServer } from '../../server/src/platform/metrics';
import { createLogger } from '../../server/src/platform/logger';

const TOKEN = 'metrics-token-' + 'x'.repeat(20);

function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true, env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when /metrics is asked without the token or with a wrong one, then 401 problem; with it, then Prometheus text', async () => {
    const none = await h.http().get('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await h.http().get('/metrics').set(bearer('metrics-token-' + 'y'.repeat(20)));
    expect(wrong.status).toBe(401);
    const ok = await h.http().get('/metrics').set(bearer(TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(ok.text).toMatch(/^# HELP /m);
  });

  test('when claims sell a pool out and a voucher is redeemed and reversed, then the counters, pool gauges and job metrics say so', async () => {
    const pool = await openPool(h, { budgetFen: 2 * 9000, perHolderMax: 5 });
    const [a, b] = await bulkConsumers(h, 2);
    const tokens = await Promise.all([a, b].map((l) => h.login(l as string, 'bulk-pass-1')));
    const claims = [];
    for (const t of [...tokens, tokens[0] as string]) {
      claims.push(await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(t)).set('Idempotency-Key', idemKey()).send({}));
    }
    expect(claims.map((c) => c.status)).toEqual([201, 201, 409]);
    expect(claims[2]!.body.code).toBe('POOL_EXHAUSTED');
    const cashier = await h.login('mch.catering.cashier');
    const redeemed = await redeem(h, cashier, { token: scanToken(h, claims[0]!.body as WalletVoucher), orderAmountFen: 40_000 });
    expect(redeemed.status).toBe(201);
    const reversed = await h.http().post(`/api/v1/redemptions/${redeemed.body.id}/reversal`).set(bearer(cashier)).send({ reason: 'refund' });
    expect(reversed.status).toBe(201);
    await h.services.jobs.run('hold-void');

    const text = (await h.http().get('/metrics').set(bearer(TOKEN))).text;
    expect(sample(text, 'hqt_claims_total', { result: 'ok' })).toBe(2);
    expect(sample(text, 'hqt_claims_total', { result: 'POOL_EXHAUSTED' })).toBe(1);
    expect(sample(text, 'hqt_sold_out_total', { route: '/api/v1/pools/:id/claims' })).toBe(1);
    expect(sample(text, 'hqt_redemptions_total', { result: 'ok' })).toBe(1);
    expect(sample(text, 'hqt_reversals_total', { result: 'ok' })).toBe(1);
    expect(sample(text, 'hqt_http_requests_total', { method: 'POST', route: '/api/v1/pools/:id/claims', status: '201' })).toBe(2);
    expect(sample(text, 'hqt_http_request_duration_seconds_count', { route: '/api/v1/pools/:id/claims', status: '409' })).toBe(1);
    expect(text).not.toContain(`route="/api/v1/pools/${pool.id}`);
    expect(text).toContain('hqt_claim_batch_size_bucket');
    expect(sample(text, 'hqt_pool_budget_fen', { pool: pool.id })).toBe(18_000);
    expect(sample(text, 'hqt_pool_available_fen', { pool: pool.id })).toBe(0);
    // the reversal put the discount back on the still-valid voucher: reserved again, nothing spent
    expect(sample(text, 'hqt_pool_reserved_fen', { pool: pool.id })).toBe(18_000);
    expect(sample(text, 'hqt_pool_spent_fen', { pool: pool.id })).toBe(0);
    expect(sample(text, 'hqt_pools_open')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'hqt_job_runs_total', { job: 'hold-void', status: 'succeeded' })).toBe(1);
    expect(sample(text, 'hqt_job_duration_seconds_count', { job: 'hold-void' })).toBe(1);
    expect(sample(text, 'hqt_job_last_run_failed', { job: 'hold-void' })).toBe(0);
    expect(sample(text, 'hqt_job_last_success_timestamp_seconds', { job: 'hold-void' })).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    if (h.db.kind === 'pg') expect(sample(text, 'hqt_db_pool_connections', { db: 'primary', state: 'max' })).toBe(20);
  });

  test('when a request fails before any route matches, then it is counted as route "unmatched", never by its URL', async () => {
    await h.http().get('/api/v1/no/such/thing-12345');
    const text = (await h.http().get('/metrics').set(bearer(TOKEN))).text;
    expect(sample(text, 'hqt_http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('thing-12345');
  });

  test('when METRICS_PORT is used, then GET /metrics there answers without a token and nothing else is served', async () => {
    const server: Server = await startMetricsServer(0, '127.0.0.1', createLogger('silent'));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hqt_http_requests_total');
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('metrics without METRICS_TOKEN', () => {
  test('when no token is configured, then /metrics on the main port does not exist (404), rather than the client app', async () => {
    const h = await startHarness({});
    try {
      const res = await h.http().get('/metrics');
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    } finally {
      await h.close();
    }
  });
});
