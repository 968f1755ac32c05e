/**
 * Correctness of the claim batcher (capabilities/vouchers/claim-batcher.ts) under races far
 * bigger than an HTTP test can afford: claims go to the service in-process, thousands at
 * once, and the stored state, the answers and the journal must agree.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { HOUR_MS, idemKey, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import { HttpProblem } from '../../server/src/app/problem';
import type { StoredAnswer } from '../../server/src/app/idempotency';
import type { Actor } from '../../server/src/capabilities/identity';
import { ClaimBatcher } from '../../server/src/capabilities/vouchers';

const AMOUNT_FEN = 9000; // the consumption preset: 满300减90

function consumer(userId: string = randomUUID()): Actor {
  return { userId, memberships: [{ orgId: null, role: 'consumer' as Role }] };
}

interface Reply {
  holder: string;
  status: number;
  code: string | null;
  voucherId: string | null;
}

function replyOf(holder: string, a: StoredAnswer): Reply {
  const body = a.body as { code?: string; id?: string };
  return { holder, status: a.status, code: body.code ?? null, voucherId: a.status === 201 ? (body.id as string) : null };
}

describe('claim batcher', () => {
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

  const claimAs = async (actor: Actor, poolId: string, key = idemKey()): Promise<Reply> =>
    replyOf(actor.userId, await h.services.vouchers.claim(actor, poolId, key, {}));

  const stored = async (poolId: string) => {
    const [row] = await h.db.query<{ n: number; holders: number; per_holder_max: number; counted: number }>(sql`
      SELECT (SELECT count(*) FROM vouchers WHERE pool_id = ${poolId})::int AS n,
             (SELECT count(DISTINCT holder_id) FROM vouchers WHERE pool_id = ${poolId})::int AS holders,
             (SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c FROM vouchers WHERE pool_id = ${poolId} GROUP BY holder_id) x)::int AS per_holder_max,
             (SELECT coalesce(sum(claimed), 0) FROM holder_pool_counters WHERE pool_id = ${poolId})::int AS counted`);
    return row!;
  };

  test('when 2,000 claims from 1,000 holders race for 500 vouchers, then exactly 500 are issued, one per holder, and every answer is stored', async () => {
    const pool = await openPool(h, { budgetFen: 500 * AMOUNT_FEN, perHolderMax: 1 });
    const holders = Array.from({ length: 1000 }, () => consumer());
    const attempts = [...holders, ...holders].map((a) => ({ actor: a, key: idemKey() }));
    const replies = await Promise.all(attempts.map((x) => claimAs(x.actor, pool.id, x.key)));

    const ok = replies.filter((r) => r.status === 201);
    expect(ok).toHaveLength(500);
    expect(new Set(ok.map((r) => r.holder)).size).toBe(500);
    expect(replies.filter((r) => r.status !== 201).every((r) => r.status === 409 && (r.code === 'POOL_EXHAUSTED' || r.code === 'LIMIT_REACHED'))).toBe(true);
    const s = await stored(pool.id);
    expect(s).toEqual({ n: 500, holders: 500, per_holder_max: 1, counted: 500 });
    const ids = await h.db.query<{ id: string }>(sql`SELECT id FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(new Set(ids.map((r) => r.id))).toEqual(new Set(ok.map((r) => r.voucherId)));
    const [keys] = await h.db.query<{ n: number; ok: number }>(sql`SELECT count(*)::int AS n,
      count(*) FILTER (WHERE response_status = 201)::int AS ok FROM idempotency_keys
      WHERE key = ANY(${sql.param(attempts.map((a) => a.key))}::text[])`);
    expect(keys).toEqual({ n: 2000, ok: 500 });
    const eq = await poolEquation(h, pool.id);
    expect(eq.journal).toEqual({ budget: eq.budget, available: 0, reserved: eq.budget, spent: 0 });
    expect(eq.available).toBe(0);
    // folded: far fewer issue transactions than vouchers (one per batch)
    const [txns] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM journal_transactions WHERE pool_id = ${pool.id} AND kind = 'issue'`);
    expect(txns!.n).toBeLessThan(100);
  });

  test('when the budget covers every holder, then no claim is ever answered sold out and the limit counters decide the rest', async () => {
    const pool = await openPool(h, { budgetFen: 1500 * AMOUNT_FEN, perHolderMax: 1 });
    const holders = Array.from({ length: 1000 }, () => consumer());
    const replies = await Promise.all([...holders, ...holders].map((a) => claimAs(a, pool.id)));
    expect(replies.filter((r) => r.code === 'POOL_EXHAUSTED')).toEqual([]);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1000);
    expect(replies.filter((r) => r.code === 'LIMIT_REACHED')).toHaveLength(1000);
    expect((await stored(pool.id)).n).toBe(1000);
    expect((await poolEquation(h, pool.id)).available).toBe(500 * AMOUNT_FEN);
  });

  test('when a batch is only partly covered, then exactly the overflow answers POOL_EXHAUSTED and its counter bumps are undone', async () => {
    const pool = await openPool(h, { budgetFen: 3 * AMOUNT_FEN, perHolderMax: 1 });
    const replies = await Promise.all(Array.from({ length: 40 }, () => claimAs(consumer(), pool.id)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(3);
    expect(replies.filter((r) => r.code === 'POOL_EXHAUSTED')).toHaveLength(37);
    expect(await stored(pool.id)).toEqual({ n: 3, holders: 3, per_holder_max: 1, counted: 3 });
  });

  test('when one holder sends many claims at once, then the per-holder and daily counters decide, whatever the batching', async () => {
    const pool = await openPool(h, { budgetFen: 50 * AMOUNT_FEN, perHolderMax: 3, perHolderDailyMax: 2,
      claimClosesAt: new Date(h.clock.now().getTime() + 72 * HOUR_MS).toISOString() });
    const actor = consumer();
    const replies = await Promise.all(Array.from({ length: 12 }, () => claimAs(actor, pool.id)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(2);
    expect(replies.filter((r) => r.code === 'DAILY_LIMIT_REACHED')).toHaveLength(10);
    const [c] = await h.db.query<{ claimed: number }>(sql`SELECT claimed FROM holder_pool_counters WHERE pool_id = ${pool.id}`);
    expect(c!.claimed).toBe(2);
    const [d] = await h.db.query<{ claimed: number }>(sql`SELECT sum(claimed)::int AS claimed FROM holder_daily_counters WHERE pool_id = ${pool.id}`);
    expect(d!.claimed).toBe(2);
  });

  test('when a key was already answered, then the batch replays it (same voucher, Idempotent-Replayed) and issues nothing new', async () => {
    const pool = await openPool(h, { budgetFen: 10 * AMOUNT_FEN, perHolderMax: 5 });
    const actor = consumer();
    const key = idemKey();
    const first = await h.services.vouchers.claim(actor, pool.id, key, {});
    const again = await Promise.all(Array.from({ length: 5 }, () => h.services.vouchers.claim(actor, pool.id, key, {})));
    expect(first.status).toBe(201);
    for (const a of again) expect(a).toMatchObject({ status: 201, replayed: true, body: { id: (first.body as { id: string }).id } });
    expect((await stored(pool.id)).n).toBe(1);
  });

  test('when eligibility rules exclude some holders, then the batch refuses exactly those, with the reasons the single path gives', async () => {
    const pool = await openPool(h, { budgetFen: 10 * AMOUNT_FEN, eligibility: { realNameRequired: true } });
    const real = await h.db.query<{ id: string }>(sql`SELECT id FROM users WHERE resident_id_hash IS NOT NULL LIMIT 1`);
    const verified = consumer(real[0]!.id);
    const strangers = Array.from({ length: 5 }, () => consumer());
    const replies = await Promise.all([verified, ...strangers].map((a) => claimAs(a, pool.id)));
    expect(replies[0]!.status).toBe(201);
    const refused = await h.services.vouchers.claim(strangers[0]!, pool.id, idemKey(), {});
    expect(refused.body).toMatchObject({ code: 'NOT_ELIGIBLE', detail: 'Real-name verification required' });
    for (const r of replies.slice(1)) expect(r).toMatchObject({ status: 403, code: 'NOT_ELIGIBLE' });
  });

  test('when the pool is paused while the batcher still holds its row, then the batch falls back to single claims and they answer POOL_NOT_OPEN', async () => {
    const pool = await openPool(h, { budgetFen: 10 * AMOUNT_FEN, perHolderMax: 5 });
    expect((await claimAs(consumer(), pool.id)).status).toBe(201);
    const manager = await h.login('jxw.manager');
    const paused = await h.http().post(`/api/v1/pools/${pool.id}/pause`).set(bearer(manager)).send();
    expect(paused.status).toBe(200);
    const replies = await Promise.all(Array.from({ length: 10 }, () => claimAs(consumer(), pool.id)));
    for (const r of replies) expect(r).toMatchObject({ status: 409, code: 'POOL_NOT_OPEN' });
    expect((await stored(pool.id)).n).toBe(1);
  });

  test('when more claims wait on a pool than its queue holds, then the excess answers 503 OVERLOADED with Retry-After and nothing is lost', async () => {
    const pool = await openPool(h, { budgetFen: 100 * AMOUNT_FEN, perHolderMax: 1 });
    const batcher = new ClaimBatcher(h.db, h.clock, h.services.pools, h.services.vouchers, {
      enabled: true, batchMax: 5, waitMs: 20, queueMax: 10, inFlightMax: 1,
    });
    const settled = await Promise.allSettled(Array.from({ length: 40 }, () => batcher.claim(consumer(), pool.id, idemKey(), {})));
    const overloaded = settled.filter((s) => s.status === 'rejected');
    expect(overloaded.length).toBeGreaterThan(0);
    for (const s of overloaded) {
      const err = (s as PromiseRejectedResult).reason as HttpProblem;
      expect(err).toBeInstanceOf(HttpProblem);
      expect(err.code).toBe('OVERLOADED');
      expect(err.status).toBe(503);
      expect(err.headers['Retry-After']).toBe('1');
    }
    const answered = settled.filter((s): s is PromiseFulfilledResult<StoredAnswer> => s.status === 'fulfilled');
    expect(answered.every((a) => a.value.status === 201)).toBe(true);
    expect((await stored(pool.id)).n).toBe(answered.length);
  });

  test('when the batcher is flushed (graceful shutdown), then every waiting claim is answered before the flush resolves', async () => {
    const pool = await openPool(h, { budgetFen: 100 * AMOUNT_FEN, perHolderMax: 1 });
    const batcher = new ClaimBatcher(h.db, h.clock, h.services.pools, h.services.vouchers, {
      enabled: true, batchMax: 500, waitMs: 60_000, queueMax: 1000, inFlightMax: 1,
    });
    const answers: StoredAnswer[] = [];
    const pending = Array.from({ length: 20 }, () => batcher.claim(consumer(), pool.id, idemKey(), {}).then((a) => answers.push(a)));
    await new Promise((r) => setTimeout(r, 50));
    expect(answers).toHaveLength(0);
    await batcher.flushAll();
    expect(answers).toHaveLength(20);
    await Promise.all(pending);
    expect((await stored(pool.id)).n).toBe(20);
  });
});
