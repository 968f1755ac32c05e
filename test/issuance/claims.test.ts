import { startHarness, bearer, type Harness } from '../helpers/harness';
import { bulkConsumers, HOUR_MS, idemKey, openPool, poolEquation } from '../helpers/factories';
import { sql } from '../../server/src/platform/db';
import { expectReconciled } from '../helpers/reconcile';

describe('first_come claims (抢券)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when 200 concurrent claims from 100 holders hit a pool worth 50 vouchers, then exactly 50 are issued and nothing is oversold', async () => {
    const pool = await openPool(h, { budgetFen: 50 * 9000, perHolderMax: 1 });
    const logins = await bulkConsumers(h, 100);
    const tokens = await Promise.all(logins.map((l) => h.login(l, 'bulk-pass-1')));
    const attempts = tokens.flatMap((t) => [t, t]);
    const replies = await Promise.all(attempts.map((t) =>
      h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(t)).set('Idempotency-Key', idemKey()).send({})));
    const created = replies.filter((r) => r.status === 201);
    const codes = new Set(replies.filter((r) => r.status !== 201).map((r) => r.body.code));
    expect([...codes].every((c) => c === 'POOL_EXHAUSTED' || c === 'LIMIT_REACHED')).toBe(true);
    expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true);

    const [stored] = await h.db.query<{ n: number; holders: number; maxPerHolder: number }>(sql`
      SELECT count(*)::int AS n, count(DISTINCT holder_id)::int AS holders,
             coalesce(max(c), 0)::int AS "maxPerHolder"
      FROM vouchers v JOIN (SELECT holder_id AS h, count(*) AS c FROM vouchers WHERE pool_id = ${pool.id} GROUP BY holder_id) x ON x.h = v.holder_id
      WHERE v.pool_id = ${pool.id}`);
    expect(stored!.n).toBe(50);
    expect(created).toHaveLength(50);
    expect(stored!.maxPerHolder).toBe(1);
    const eq = await poolEquation(h, pool.id);
    expect(eq.available).toBe(0);
    expect(eq.journal).toEqual({ budget: eq.budget, available: 0, reserved: eq.budget, spent: 0 });
  });

  test('when a claim is replayed with its key, then the same voucher comes back; with another body, then 409', async () => {
    const pool = await openPool(h, { budgetFen: 10 * 9000, perHolderMax: 2 });
    const token = await h.login('13800138000');
    const key = idemKey();
    const first = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({});
    const again = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({});
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({ ticketStub: 'X1' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_CONFLICT');
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(n!.n).toBe(1);
  });

  test('when a claim succeeds, then its key stores only the voucher id and a replay renders the same voucher; a body stored whole still replays', async () => {
    const pool = await openPool(h, { budgetFen: 10 * 9000, perHolderMax: 2 });
    const token = await h.login('13800138000');
    const key = idemKey();
    const first = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({});
    expect(first.status).toBe(201);
    const [row] = await h.db.query<{ response_body: unknown }>(sql`SELECT response_body FROM idempotency_keys WHERE key = ${key}`);
    expect(row!.response_body).toEqual({ voucherId: first.body.id });
    const again = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({});
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    // an answer stored whole (before the codec) replays as stored
    const whole = { ...first.body, poolNameEn: 'stored whole' };
    await h.db.query(sql`UPDATE idempotency_keys SET response_body = ${JSON.stringify(whole)}::jsonb WHERE key = ${key}`);
    const old = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({});
    expect(old.body).toEqual(whole);
  });

  test('when concurrent duplicates share one key, then one voucher exists and both get it', async () => {
    const pool = await openPool(h, { budgetFen: 10 * 9000, perHolderMax: 5 });
    const token = await h.login('13800138000');
    const key = idemKey();
    const replies = await Promise.all(Array.from({ length: 6 }, () =>
      h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).set('Idempotency-Key', key).send({})));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(n!.n).toBe(1);
  });

  test('when the claim has no Idempotency-Key, then 400 names the header', async () => {
    const pool = await openPool(h, {});
    const token = await h.login('13800138000');
    const res = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(token)).send({});
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('headers.Idempotency-Key');
  });

  test('when the window has not opened or has closed, then CLAIM_WINDOW_CLOSED; the edges are exact', async () => {
    const now = h.clock.now().getTime();
    const pool = await openPool(h, { claimOpensAt: new Date(now + HOUR_MS).toISOString(), claimClosesAt: new Date(now + 2 * HOUR_MS).toISOString(), perHolderMax: 5 });
    expect(pool.status).toBe('scheduled');
    // the access token lives 15 minutes, so log in again after every move of the clock
    const claim = async () => h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(await h.login('13800138000')))
      .set('Idempotency-Key', idemKey()).send({});
    expect((await claim()).body.code).toBe('CLAIM_WINDOW_CLOSED');
    h.clock.set(new Date(now + HOUR_MS));
    expect((await claim()).status).toBe(201);
    h.clock.set(new Date(now + 2 * HOUR_MS - 1));
    expect((await claim()).status).toBe(201);
    h.clock.set(new Date(now + 2 * HOUR_MS));
    expect((await claim()).body.code).toBe('CLAIM_WINDOW_CLOSED');
    h.clock.set(new Date(now));
  });

  test('when a holder reaches perHolderMax or perHolderDailyMax, then LIMIT_REACHED / DAILY_LIMIT_REACHED', async () => {
    const pool = await openPool(h, { perHolderMax: 3, perHolderDailyMax: 2, budgetFen: 20 * 9000,
      claimClosesAt: new Date(h.clock.now().getTime() + 72 * HOUR_MS).toISOString() });
    const claim = async () => h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(await h.login('13800138000')))
      .set('Idempotency-Key', idemKey()).send({});
    expect((await claim()).status).toBe(201);
    expect((await claim()).status).toBe(201);
    expect((await claim()).body.code).toBe('DAILY_LIMIT_REACHED');
    h.clock.advanceMs(24 * HOUR_MS);
    expect((await claim()).status).toBe(201);
    expect((await claim()).body.code).toBe('LIMIT_REACHED');
    h.clock.advanceMs(-24 * HOUR_MS);
    const [c] = await h.db.query<{ claimed: number }>(sql`SELECT claimed FROM holder_pool_counters WHERE pool_id = ${pool.id}`);
    expect(c!.claimed).toBe(3);
  });

  test('when the issuer-wide annual cap per kind would be passed, then ANNUAL_CAP_REACHED across pools', async () => {
    const common = { kind: 'professional_service', distribution: 'first_come', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 60_000 }, annualCapFen: 100_000, budgetFen: 1_000_000, perHolderMax: 5 };
    const a = await openPool(h, common);
    const b = await openPool(h, common);
    const token = await h.login('ent.alpha');
    const claim = (id: string) => h.http().post(`/api/v1/pools/${id}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
    expect((await claim(a.id)).status).toBe(201);
    const second = await claim(b.id);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('ANNUAL_CAP_REACHED');
  });

  test('when an enterprise claims a consumer pool or the rules exclude it, then NOT_ELIGIBLE with the reason', async () => {
    const consumerPool = await openPool(h, {});
    const ent = await h.login('ent.alpha');
    const wrong = await h.http().post(`/api/v1/pools/${consumerPool.id}/claims`).set(bearer(ent)).set('Idempotency-Key', idemKey()).send({});
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('NOT_ELIGIBLE');
    const xuhuiOnly = await openPool(h, { kind: 'professional_service', eligibility: { districts: ['xuhui'] }, budgetFen: 1_000_000, valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 20_000 } });
    const res = await h.http().post(`/api/v1/pools/${xuhuiOnly.id}/claims`).set(bearer(ent)).set('Idempotency-Key', idemKey()).send({});
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("Xuhui");
    const beta = await h.login('ent.beta');
    const ok = await h.http().post(`/api/v1/pools/${xuhuiOnly.id}/claims`).set(bearer(beta)).set('Idempotency-Key', idemKey()).send({});
    expect(ok.status).toBe(201);
    expect(ok.body.qr.mode).toBe('static');
  });
});
