/**
 * Rounds of first-come pools (docs/ISSUANCE.md, Rounds): claims only while a round is open,
 * each round's budget share guarded by a counter row in the database, unused or released
 * budget rolling into the next round under `reissueUnused`, perHolderMax counted per round.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '@hqt/shared';
import type { Response } from 'supertest';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { bulkConsumers, HOUR_MS, idemKey, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import type { Actor } from '../../server/src/capabilities/identity';
import { ClaimBatcher } from '../../server/src/capabilities/vouchers';

const AMOUNT_FEN = 9000; // the consumption preset: 满300减90
const BULK_PASSWORD = 'bulk-pass-1';

function consumer(): Actor {
  return { userId: randomUUID(), memberships: [{ orgId: null, role: 'consumer' as Role }] };
}

function codesOf(replies: { status: number; body: { code?: string } }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of replies) {
    const key = r.status === 201 ? '201' : String(r.body.code);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('rounds of first-come pools', () => {
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

  const iso = (t0: number, hours: number) => new Date(t0 + hours * HOUR_MS).toISOString();
  /** Round 0 opens 1 h after t0, round 1 `gapHours` later; each lasts an hour. */
  const twoRounds = (t0: number, gapHours = 2) => [
    { opensAt: iso(t0, 1), closesAt: iso(t0, 2) },
    { opensAt: iso(t0, 1 + gapHours), closesAt: iso(t0, 2 + gapHours) },
  ];

  /** Every login claims once, all at the same time. The access token lives 15 minutes of clock, so log in after moving it. */
  async function race(poolId: string, logins: string[], password = BULK_PASSWORD): Promise<Response[]> {
    const tokens = await Promise.all(logins.map((l) => h.login(l, password)));
    return Promise.all(tokens.map((t) =>
      h.http().post(`/api/v1/pools/${poolId}/claims`).set(bearer(t)).set('Idempotency-Key', idemKey()).send({})));
  }

  async function roundCounter(poolId: string, round: number) {
    const rows = await h.db.query<{ cap_fen: number; issued_fen: number }>(sql`
      SELECT cap_fen, issued_fen FROM pool_round_counters WHERE pool_id = ${poolId} AND round = ${round}`);
    return rows[0] ?? null;
  }

  async function vouchersIn(poolId: string): Promise<number> {
    const [row] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${poolId}`);
    return row!.n;
  }

  /** budget = available + reserved + spent, the live available agreeing with the journal. */
  async function expectBalanced(poolId: string): Promise<{ available: number; reserved: number }> {
    const eq = await poolEquation(h, poolId);
    expect(eq.journal.budget).toBe(eq.budget);
    expect(eq.journal.available).toBe(eq.available);
    expect(eq.journal.available + eq.journal.reserved + eq.journal.spent).toBe(eq.budget);
    return { available: eq.available, reserved: eq.journal.reserved };
  }

  test('when no round is open, then ROUND_NOT_OPEN names the next one; the round edges are exact; past the claim window, CLAIM_WINDOW_CLOSED', async () => {
    const t0 = h.clock.now().getTime();
    const rounds = twoRounds(t0);
    const pool = await openPool(h, { rounds, reissueUnused: true, perHolderMax: 5, budgetFen: 20 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) });
    const claim = async () => h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(await h.login('13800138000')))
      .set('Idempotency-Key', idemKey()).send({});

    const early = await claim();
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'ROUND_NOT_OPEN', detail: `Round 0 opens at ${rounds[0]!.opensAt}` });
    h.clock.set(new Date(t0 + HOUR_MS));
    expect((await claim()).status).toBe(201);
    h.clock.set(new Date(t0 + 2 * HOUR_MS - 1));
    expect((await claim()).status).toBe(201);
    h.clock.set(new Date(t0 + 2 * HOUR_MS));
    expect((await claim()).body).toMatchObject({ code: 'ROUND_NOT_OPEN', detail: `Round 1 opens at ${rounds[1]!.opensAt}` });
    h.clock.set(new Date(t0 + 3 * HOUR_MS));
    expect((await claim()).status).toBe(201);
    h.clock.set(new Date(t0 + 4 * HOUR_MS));
    expect((await claim()).body).toMatchObject({ code: 'ROUND_NOT_OPEN', detail: 'The last round has closed' });
    h.clock.set(new Date(t0 + 5 * HOUR_MS));
    expect((await claim()).body.code).toBe('CLAIM_WINDOW_CLOSED');

    // round 0's share: half of the budget; round 1, the last, may issue all that is left
    expect(await roundCounter(pool.id, 0)).toEqual({ cap_fen: 10 * AMOUNT_FEN, issued_fen: 2 * AMOUNT_FEN });
    expect(await roundCounter(pool.id, 1)).toEqual({ cap_fen: 18 * AMOUNT_FEN, issued_fen: AMOUNT_FEN });
    expect(await vouchersIn(pool.id)).toBe(3);
  });

  test('when 40 holders race in round 0 of a pool worth 10 vouchers in 2 rounds, then exactly round 0\'s 5 are issued and the rest sold out for the round; round 1 issues the other 5', async () => {
    const t0 = h.clock.now().getTime();
    const pool = await openPool(h, { rounds: twoRounds(t0), reissueUnused: true, perHolderMax: 1, budgetFen: 10 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) });
    const logins = await bulkConsumers(h, 40);

    h.clock.set(new Date(t0 + HOUR_MS));
    const first = await race(pool.id, logins);
    expect(codesOf(first)).toEqual({ 201: 5, ROUND_EXHAUSTED: 35 });
    expect(await roundCounter(pool.id, 0)).toEqual({ cap_fen: 5 * AMOUNT_FEN, issued_fen: 5 * AMOUNT_FEN });
    expect(await expectBalanced(pool.id)).toEqual({ available: 5 * AMOUNT_FEN, reserved: 5 * AMOUNT_FEN });

    h.clock.set(new Date(t0 + 3 * HOUR_MS));
    const second = await race(pool.id, logins);
    const codes = codesOf(second);
    expect(codes['201']).toBe(5);
    expect(Object.keys(codes).every((c) => ['201', 'ROUND_EXHAUSTED', 'POOL_EXHAUSTED'].includes(c))).toBe(true);
    expect(await roundCounter(pool.id, 1)).toEqual({ cap_fen: 5 * AMOUNT_FEN, issued_fen: 5 * AMOUNT_FEN });
    expect(await vouchersIn(pool.id)).toBe(10);
    expect(await expectBalanced(pool.id)).toEqual({ available: 0, reserved: 10 * AMOUNT_FEN });
  });

  test('when the pool would cover a whole batch but the round\'s share does not, then the share decides', async () => {
    const t0 = h.clock.now().getTime();
    const pool = await openPool(h, { rounds: twoRounds(t0), reissueUnused: true, perHolderMax: 1, budgetFen: 60 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) });
    const logins = await bulkConsumers(h, 41);
    h.clock.set(new Date(t0 + HOUR_MS));
    expect(codesOf(await race(pool.id, logins.slice(0, 1)))).toEqual({ 201: 1 });
    expect(codesOf(await race(pool.id, logins.slice(1)))).toEqual({ 201: 29, ROUND_EXHAUSTED: 11 });
    expect(await roundCounter(pool.id, 0)).toEqual({ cap_fen: 30 * AMOUNT_FEN, issued_fen: 30 * AMOUNT_FEN });
    expect(await expectBalanced(pool.id)).toEqual({ available: 30 * AMOUNT_FEN, reserved: 30 * AMOUNT_FEN });
  });

  test('when claims race on the single path (no batching), then the round\'s share holds as well, its counter written once', async () => {
    const t0 = h.clock.now().getTime();
    const pool = await openPool(h, { rounds: twoRounds(t0), reissueUnused: true, perHolderMax: 1, budgetFen: 8 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) });
    h.clock.set(new Date(t0 + HOUR_MS));
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      h.services.vouchers.claimSingly(consumer(), pool.id, idemKey(), {})));
    expect(codesOf(answers.map((a) => ({ status: a.status, body: a.body as { code?: string } })))).toEqual({ 201: 4, ROUND_EXHAUSTED: 16 });
    expect(await roundCounter(pool.id, 0)).toEqual({ cap_fen: 4 * AMOUNT_FEN, issued_fen: 4 * AMOUNT_FEN });
    expect(await expectBalanced(pool.id)).toEqual({ available: 4 * AMOUNT_FEN, reserved: 4 * AMOUNT_FEN });
  });

  test('when round 0 leaves part of its share unclaimed, then round 1 issues it with reissueUnused, and stops at budget ÷ rounds without', async () => {
    const t0 = h.clock.now().getTime();
    const common = { rounds: twoRounds(t0), perHolderMax: 1, budgetFen: 10 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) };
    const rolling = await openPool(h, { ...common, reissueUnused: true });
    const fixed = await openPool(h, { ...common, reissueUnused: false });
    const few = await bulkConsumers(h, 2);
    const many = await bulkConsumers(h, 12);

    h.clock.set(new Date(t0 + HOUR_MS));
    expect(codesOf(await race(rolling.id, few))).toEqual({ 201: 2 });
    expect(codesOf(await race(fixed.id, few))).toEqual({ 201: 2 });

    h.clock.set(new Date(t0 + 3 * HOUR_MS));
    expect(codesOf(await race(rolling.id, many))).toEqual({ 201: 8, ROUND_EXHAUSTED: 4 });
    expect(codesOf(await race(fixed.id, many))).toEqual({ 201: 5, ROUND_EXHAUSTED: 7 });
    expect(await roundCounter(rolling.id, 1)).toEqual({ cap_fen: 8 * AMOUNT_FEN, issued_fen: 8 * AMOUNT_FEN });
    expect(await roundCounter(fixed.id, 1)).toEqual({ cap_fen: 5 * AMOUNT_FEN, issued_fen: 5 * AMOUNT_FEN });
    expect(await expectBalanced(rolling.id)).toEqual({ available: 0, reserved: 10 * AMOUNT_FEN });
    // without reissueUnused the budget round 0 left stays in the pool
    expect(await expectBalanced(fixed.id)).toEqual({ available: 3 * AMOUNT_FEN, reserved: 7 * AMOUNT_FEN });
  });

  test('when vouchers of round 0 are revoked or expire, then their budget is claimable in round 1 under reissueUnused, not again in round 0, and never past budget ÷ rounds without it', async () => {
    const t0 = h.clock.now().getTime();
    const common = { rounds: twoRounds(t0, 29), perHolderMax: 1, budgetFen: 4 * AMOUNT_FEN, validDays: 1, claimClosesAt: iso(t0, 48) };
    const rolling = await openPool(h, { ...common, reissueUnused: true });
    const fixed = await openPool(h, { ...common, reissueUnused: false });
    const logins = await bulkConsumers(h, 6);
    const manager = async () => h.login('jxw.manager');

    h.clock.set(new Date(t0 + HOUR_MS));
    const firstRolling = await race(rolling.id, logins.slice(0, 4));
    const firstFixed = await race(fixed.id, logins.slice(0, 4));
    expect(codesOf(firstRolling)).toEqual({ 201: 2, ROUND_EXHAUSTED: 2 });
    expect(codesOf(firstFixed)).toEqual({ 201: 2, ROUND_EXHAUSTED: 2 });
    const [revokedRolling, expiringRolling] = firstRolling.filter((r) => r.status === 201).map((r) => r.body.id as string);
    const [revokedFixed] = firstFixed.filter((r) => r.status === 201).map((r) => r.body.id as string);
    const token = await manager();
    for (const id of [revokedRolling, revokedFixed]) {
      const revoked = await h.http().post(`/api/v1/vouchers/${id}/revoke`).set(bearer(token)).send({ reason: '重复领取' });
      expect(revoked.body.status).toBe('revoked');
    }
    // round 0's share is fixed when it opens: the revoked budget waits for the next round
    expect(codesOf(await race(rolling.id, logins.slice(4, 5)))).toEqual({ ROUND_EXHAUSTED: 1 });
    expect(await roundCounter(rolling.id, 0)).toEqual({ cap_fen: 2 * AMOUNT_FEN, issued_fen: 2 * AMOUNT_FEN });

    h.clock.set(new Date(t0 + 26 * HOUR_MS));
    const expiry = await h.services.jobs.run('voucher-expiry');
    expect(expiry.status).toBe('succeeded');
    const [state] = await h.db.query<{ status: string }>(sql`SELECT status FROM vouchers WHERE id = ${expiringRolling}`);
    expect(state!.status).toBe('expired');
    expect(await expectBalanced(rolling.id)).toEqual({ available: 4 * AMOUNT_FEN, reserved: 0 });

    h.clock.set(new Date(t0 + 30 * HOUR_MS));
    expect(codesOf(await race(rolling.id, logins))).toEqual({ 201: 4, ROUND_EXHAUSTED: 2 });
    expect(codesOf(await race(fixed.id, logins))).toEqual({ 201: 2, ROUND_EXHAUSTED: 4 });
    expect(await roundCounter(rolling.id, 1)).toEqual({ cap_fen: 4 * AMOUNT_FEN, issued_fen: 4 * AMOUNT_FEN });
    expect(await roundCounter(fixed.id, 1)).toEqual({ cap_fen: 2 * AMOUNT_FEN, issued_fen: 2 * AMOUNT_FEN });
    expect(await expectBalanced(rolling.id)).toEqual({ available: 0, reserved: 4 * AMOUNT_FEN });
    // without it the revoked and expired budget stays in the pool once round 1 issued its budget ÷ rounds
    expect(await expectBalanced(fixed.id)).toEqual({ available: 2 * AMOUNT_FEN, reserved: 2 * AMOUNT_FEN });
  });

  test('when a holder claims again in the same round, then LIMIT_REACHED, however many at once; in the next round the holder may claim once more', async () => {
    const t0 = h.clock.now().getTime();
    const pool = await openPool(h, { rounds: twoRounds(t0), reissueUnused: true, perHolderMax: 1, budgetFen: 10 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) });
    const [login] = await bulkConsumers(h, 1);
    const sixAtOnce = Array.from({ length: 6 }, () => login as string);

    h.clock.set(new Date(t0 + HOUR_MS));
    expect(codesOf(await race(pool.id, sixAtOnce))).toEqual({ 201: 1, LIMIT_REACHED: 5 });
    h.clock.set(new Date(t0 + 3 * HOUR_MS));
    expect(codesOf(await race(pool.id, sixAtOnce))).toEqual({ 201: 1, LIMIT_REACHED: 5 });

    const counters = await h.db.query<{ round: number; claimed: number }>(sql`
      SELECT round, claimed FROM holder_pool_counters WHERE pool_id = ${pool.id} ORDER BY round`);
    expect(counters).toEqual([{ round: 0, claimed: 1 }, { round: 1, claimed: 1 }]);
    expect(await vouchersIn(pool.id)).toBe(2);
  });

  test('when the round grants a batch more than the pool still holds (a budget decrease mid-round), then the pool\'s overflow answers POOL_EXHAUSTED, the round\'s ROUND_EXHAUSTED, and the round gets back what the pool did not grant', async () => {
    const t0 = h.clock.now().getTime();
    const pool = await openPool(h, { rounds: twoRounds(t0), reissueUnused: false, perHolderMax: 1, budgetFen: 10 * AMOUNT_FEN, claimClosesAt: iso(t0, 5) });
    h.clock.set(new Date(t0 + HOUR_MS));
    expect((await h.services.vouchers.claimSingly(consumer(), pool.id, idemKey(), {})).status).toBe(201);
    const decrease = await h.http().post(`/api/v1/pools/${pool.id}/budget-changes`).set(bearer(await h.login('jxw.manager')))
      .send({ deltaFen: -7 * AMOUNT_FEN, reason: '预算调减' });
    expect(decrease.status).toBe(201);
    const approved = await h.http().post(`/api/v1/budget-changes/${decrease.body.id}/approve`).set(bearer(await h.login('jxw.approver')));
    expect(approved.body.status).toBe('approved');
    expect(await roundCounter(pool.id, 0)).toEqual({ cap_fen: 5 * AMOUNT_FEN, issued_fen: AMOUNT_FEN });

    // one batch of six: the round's share covers four, the pool two
    const batcher = new ClaimBatcher(h.db, h.clock, h.services.pools, h.services.vouchers, {
      enabled: true, batchMax: 6, waitMs: 1_000, queueMax: 6, inFlightMax: 1,
    });
    const answers = await Promise.all(Array.from({ length: 6 }, () => batcher.claim(consumer(), pool.id, idemKey(), {})));
    expect(answers.map((a) => (a.status === 201 ? 201 : (a.body as { code: string }).code)))
      .toEqual([201, 201, 'POOL_EXHAUSTED', 'POOL_EXHAUSTED', 'ROUND_EXHAUSTED', 'ROUND_EXHAUSTED']);
    expect(await roundCounter(pool.id, 0)).toEqual({ cap_fen: 5 * AMOUNT_FEN, issued_fen: 3 * AMOUNT_FEN });
    expect(await expectBalanced(pool.id)).toEqual({ available: 0, reserved: 3 * AMOUNT_FEN });
  });
});
