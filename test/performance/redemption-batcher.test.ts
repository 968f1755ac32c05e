/**
 * Correctness of the redemption batcher (capabilities/redemptions/redemption-batcher.ts)
 * under races bigger than an HTTP test affords: redemptions go to the service in-process,
 * hundreds at once, with the same token twice, the same key twice, replays and members the
 * batch must leave to the single path; the stored rows, the answers and the journal must agree.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '@hqt/shared';
import { startHarness, type Harness } from '../helpers/harness';
import { idemKey, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { orgIdOf } from '../redemptions/fixtures';
import { sql } from '../../server/src/platform/db';
import { metrics } from '../../server/src/platform/metrics';
import { findPool } from '../../server/src/capabilities/pools';
import type { StoredAnswer } from '../../server/src/app/idempotency';
import type { Actor } from '../../server/src/capabilities/identity';

interface Issued {
  id: string;
  code: string;
}

describe('redemption batcher', () => {
  let h: Harness;
  let cashier: Actor;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    const merchantId = await orgIdOf(h, 'mch.catering');
    const [u] = await h.db.query<{ id: string }>(sql`SELECT id FROM users WHERE login = 'mch.catering.cashier'`);
    cashier = { userId: u!.id, memberships: [{ orgId: merchantId, role: 'merchant_cashier' as Role }] };
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  /** Issues `n` vouchers of a fresh first-come pool to `n` synthetic consumers (the batch issue path). */
  async function issue(n: number, overrides: Record<string, unknown> = {}): Promise<{ poolId: string; vouchers: Issued[] }> {
    const pool = await openPool(h, { budgetFen: n * 9000, ...overrides });
    const row = await findPool(h.db, pool.id);
    const reqs = Array.from({ length: n }, () => ({ holder: { kind: 'consumer' as const, id: randomUUID() } }));
    const result = await h.db.transaction((tx) => h.services.vouchers.issueMany(tx, row!, reqs, h.clock.now(), { source: 'claim', openOnly: true }));
    return { poolId: pool.id, vouchers: result.outcomes.map((o) => ({ id: o.voucher!.id, code: o.voucher!.code })) };
  }

  /** budget = available + reserved + spent, and the pool row agrees with its journal */
  async function balanced(poolId: string): Promise<void> {
    const e = await poolEquation(h, poolId);
    expect(e.journal.available).toBe(e.available);
    expect(e.journal.budget).toBe(e.budget);
    expect(e.journal.available + e.journal.reserved + e.journal.spent).toBe(e.budget);
  }

  const tokenOf = (v: Issued) => h.services.vouchers.qr.dynamicToken({ id: v.id, code: v.code, holderKind: 'consumer' }, h.clock.now().getTime());
  const redeem = (key: string, body: { token: string; orderAmountFen: number; orderRef: string }): Promise<StoredAnswer> =>
    h.services.redemptions.redeem(cashier, key, body);
  const codeOf = (a: StoredAnswer) => (a.body as { code?: string }).code ?? null;
  const batchCount = async () => (await metrics.redemptionBatchSize.get()).values.find((v) => v.metricName === 'hqt_redemption_batch_size_count')?.value ?? 0;

  test('when 300 vouchers are redeemed twice each at once (same token, two keys) plus concurrent duplicates of keys, then each voucher is redeemed exactly once and every answer matches the stored rows', async () => {
    expect(h.services.redemptions.batcher).not.toBeNull();
    const { poolId, vouchers } = await issue(300);
    const batchesBefore = await batchCount();
    const sends = vouchers.flatMap((v, i) => {
      const token = tokenOf(v);
      const body = { token, orderAmountFen: 30_000, orderRef: `rb-${i}` };
      const key = idemKey();
      const other = idemKey();
      return [
        { v, key, p: redeem(key, body) },
        { v, key: other, p: redeem(other, { ...body, orderRef: `rb-${i}-again` }) },
        ...(i % 3 === 0 ? [{ v, key, p: redeem(key, body) }] : []), // the same request twice at once
      ];
    });
    const answers = await Promise.all(sends.map((s) => s.p));
    const batches = (await batchCount()) - batchesBefore;

    const fresh = answers.filter((a) => a.status === 201 && !a.replayed);
    const ids = new Set(fresh.map((a) => (a.body as { id: string }).id));
    expect(ids.size).toBe(fresh.length);
    expect(fresh.length).toBe(300);
    // every refusal is one the race explains: the voucher was already spent, or its token step used
    for (const a of answers.filter((x) => x.status !== 201)) expect(['VOUCHER_NOT_ACTIVE', 'TOKEN_REPLAYED', 'IDEMPOTENCY_IN_PROGRESS']).toContain(codeOf(a));
    // a replayed duplicate carries the very answer stored for its key
    const byId = new Map(fresh.map((a) => [(a.body as { id: string }).id, a.body]));
    for (const a of answers.filter((x) => x.status === 201 && x.replayed)) expect(byId.get((a.body as { id: string }).id)).toEqual(a.body);

    const rows = await h.db.query<{ id: string; voucher_id: string }>(sql`SELECT id, voucher_id FROM redemptions WHERE pool_id = ${poolId}`);
    expect(new Set(rows.map((r) => r.id))).toEqual(ids);
    expect(new Set(rows.map((r) => r.voucher_id)).size).toBe(300);
    const [state] = await h.db.query<{ redeemed: number; balance: number }>(sql`
      SELECT count(*) FILTER (WHERE status = 'redeemed')::int AS redeemed, coalesce(sum(balance_fen), 0)::int AS balance
      FROM vouchers WHERE pool_id = ${poolId}`);
    expect(state).toEqual({ redeemed: 300, balance: 0 });
    await balanced(poolId);
    // folded: far fewer transactions than requests
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(sends.length / 2);
  }, 120_000);

  test('when a single-use voucher is spent by less than its amount inside a storm, then it takes the single path and its remainder returns to the pool', async () => {
    const { poolId, vouchers } = await issue(40, { valueRule: { type: 'fixed', amountFen: 9000, minSpendFen: 0 } });
    const [before] = await h.db.query<{ available_fen: number }>(sql`SELECT available_fen FROM pools WHERE id = ${poolId}`);
    // even vouchers: orders of 50 yuan (discount 50 < 90, remainder 40 back to the pool); odd: 300 yuan (whole)
    const answers = await Promise.all(vouchers.map((v, i) =>
      redeem(idemKey(), { token: tokenOf(v), orderAmountFen: i % 2 === 0 ? 5000 : 30_000, orderRef: `rem-${i}` })));
    expect(answers.map((a) => a.status)).toEqual(vouchers.map(() => 201));
    const discounts = answers.map((a) => (a.body as { discountFen: number }).discountFen);
    expect(discounts).toEqual(vouchers.map((_, i) => (i % 2 === 0 ? 5000 : 9000)));
    const [after] = await h.db.query<{ available_fen: number }>(sql`SELECT available_fen FROM pools WHERE id = ${poolId}`);
    expect(after!.available_fen - before!.available_fen).toBe(20 * 4000);
    await balanced(poolId);
  }, 120_000);

  test('when a batch mixes good tokens with forged, malformed and cross-voucher ones, then only the bad ones are refused, each with its own code, and replays answer the same', async () => {
    const { vouchers } = await issue(20);
    const forged = (v: Issued) => tokenOf(v).slice(0, -4) + 'AAAA';
    const reqs = vouchers.map((v, i) => {
      const token = i % 4 === 1 ? forged(v) : i % 4 === 2 ? 'not-a-token' : tokenOf(v);
      return { key: idemKey(), body: { token, orderAmountFen: 30_000, orderRef: `mix-${i}`, ...(i % 4 === 3 ? { voucherId: vouchers[0]!.id } : {}) } };
    });
    const answers = await Promise.all(reqs.map((r) => redeem(r.key, r.body)));
    answers.forEach((a, i) => {
      if (i % 4 === 0) expect(a.status).toBe(201);
      else expect(codeOf(a)).toBe(i % 4 === 1 ? 'TOKEN_FORGED' : i % 4 === 2 ? 'TOKEN_MALFORMED' : 'TOKEN_VOUCHER_MISMATCH');
    });
    const again = await Promise.all(reqs.map((r) => redeem(r.key, r.body)));
    again.forEach((a, i) => {
      expect(a.replayed).toBe(true);
      expect(a.status).toBe(answers[i]!.status);
      expect(a.body).toEqual(answers[i]!.body);
    });
  }, 120_000);
});
