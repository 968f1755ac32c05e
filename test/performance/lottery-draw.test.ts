/**
 * Correctness of the lottery draw at scale: stored draw keys read off an index, winners issued
 * in bulk (VouchersService.issueMany), losers never marked one by one. Entries go to the
 * service in-process, hundreds at once; the published list must verify independently.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { LotterySummary, PublishedEntry, Role } from '@hqt/shared';
import { bearer, startHarness, type Harness } from '../helpers/harness';
import { HOUR_MS, openPool, poolEquation } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { sql } from '../../server/src/platform/db';
import type { Actor } from '../../server/src/capabilities/identity';
import { LotteryService } from '../../server/src/capabilities/lottery';
import { publishedDrawFrom, verifyDraw } from '../../scripts/verify-lottery';

const AMOUNT_FEN = 9000;

function consumer(): Actor {
  return { userId: randomUUID(), memberships: [{ orgId: null, role: 'consumer' as Role }] };
}

describe('lottery draw in bulk', () => {
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

  const lotteryPool = (budgetFen: number) => {
    const now = h.clock.now().getTime();
    return openPool(h, {
      distribution: 'lottery', budgetFen, claimOpensAt: new Date(now - HOUR_MS).toISOString(),
      claimClosesAt: new Date(now + HOUR_MS).toISOString(),
    });
  };
  const enterAll = async (poolId: string, actors: Actor[]) => {
    const entries = await Promise.all(actors.map((a) => h.services.lottery.enter(a, poolId)));
    expect(entries.every((e) => e.created)).toBe(true);
    return entries.map((e) => e.entry);
  };
  /** A lottery pool with `budget` vouchers and `entrants` new consumers entered in round 0. */
  const enteredPool = async (budget: number, entrants: number) => {
    const pool = await lotteryPool(budget * AMOUNT_FEN);
    const actors = Array.from({ length: entrants }, consumer);
    const entries = await enterAll(pool.id, actors);
    return { pool, actors, entries };
  };
  /** The pool's journal: `budget` vouchers funded, `reserved` of them issued, nothing spent. */
  const expectReserved = async (poolId: string, budget: number, reserved: number) => {
    const eq = await poolEquation(h, poolId);
    expect(eq.journal).toEqual({ budget: budget * AMOUNT_FEN, available: (budget - reserved) * AMOUNT_FEN, reserved: reserved * AMOUNT_FEN, spent: 0 });
  };
  const closeAndDraw = async (closesAt: string) => {
    h.clock.set(new Date(new Date(closesAt).getTime()));
    return h.services.jobs.run('lottery-draw');
  };
  const published = async (poolId: string, actor: Actor): Promise<{ summary: LotterySummary; entries: PublishedEntry[] }> => {
    const summary = await h.services.lottery.summary(actor, poolId, 0);
    const entries: PublishedEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.services.lottery.entries(actor, poolId, { round: 0, limit: 500, ...(cursor ? { cursor } : {}) });
      entries.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { summary, entries };
  };

  test('when 600 holders enter and the budget covers 250, then 250 win in bulk, the rest read not_drawn, and the published draw verifies', async () => {
    const start = h.clock.now();
    const { pool, actors, entries } = await enteredPool(250, 600);
    const [keys] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_entries WHERE pool_id = ${pool.id} AND draw_key IS NOT NULL`);
    expect(keys!.n).toBe(600);
    expect((await closeAndDraw(pool.claimClosesAt as string)).status).toBe('succeeded');

    const { summary, entries: list } = await published(pool.id, actors[0]!);
    expect(summary).toMatchObject({ status: 'drawn', winnersMax: 250, winnersCount: 250, entriesCount: 600 });
    expect(list.filter((e) => e.result === 'won')).toHaveLength(250);
    expect(list.filter((e) => e.result === 'lost')).toHaveLength(350);
    expect(verifyDraw(publishedDrawFrom(summary, list)).agree).toBe(true);
    const seed = summary.seed as string;
    const byKey = entries.map((e) => e.entryId).sort((a, b) => Buffer.compare(
      createHmac('sha256', seed).update(a).digest(), createHmac('sha256', seed).update(b).digest()));
    expect(new Set(list.filter((e) => e.result === 'won').map((e) => e.entryId))).toEqual(new Set(byKey.slice(0, 250)));

    const mine = await Promise.all(actors.slice(0, 50).map((a) => h.services.lottery.summary(a, pool.id, 0)));
    for (const s of mine) expect(['won', 'not_drawn']).toContain(s.myEntry?.result);
    // the draw wrote 250 ranked wins and left every entry as it was
    const [untouched] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_entries
      WHERE pool_id = ${pool.id} AND result IS NULL AND voucher_id IS NULL AND forfeit_code IS NULL`);
    expect(untouched!.n).toBe(600);
    const [wins] = await h.db.query<{ n: number; ranks: boolean }>(sql`SELECT count(*)::int AS n,
      (min(rank) = 1 AND max(rank) = 250 AND count(DISTINCT rank) = 250) AS ranks FROM lottery_wins WHERE pool_id = ${pool.id}`);
    expect(wins).toEqual({ n: 250, ranks: true });
    const [vouchers] = await h.db.query<{ n: number; holders: number }>(sql`SELECT count(*)::int AS n, count(DISTINCT holder_id)::int AS holders
      FROM vouchers WHERE pool_id = ${pool.id} AND source = 'lottery'`);
    expect(vouchers).toEqual({ n: 250, holders: 250 });
    await expectReserved(pool.id, 250, 250);
    h.clock.set(start);
  });

  test('when a winner already holds the most the pool allows, then the bulk issue forfeits that win with LIMIT_REACHED and its budget stays available', async () => {
    const start = h.clock.now();
    const { pool, actors } = await enteredPool(100, 100);
    // every entrant wins (budget for all); one of them reaches the limit after entering
    await h.db.query(sql`INSERT INTO holder_pool_counters (pool_id, holder_id, claimed, max_claims) VALUES (${pool.id}, ${actors[7]!.userId}, 1, 1)`);
    expect((await closeAndDraw(pool.claimClosesAt as string)).status).toBe('succeeded');
    const s = await h.services.lottery.summary(actors[7]!, pool.id, 0);
    expect(s.myEntry).toMatchObject({ result: 'forfeited', forfeitCode: 'LIMIT_REACHED', voucherId: null });
    await expectReserved(pool.id, 100, 99);
    const [c] = await h.db.query<{ claimed: number }>(sql`SELECT claimed FROM holder_pool_counters WHERE pool_id = ${pool.id} AND holder_id = ${actors[7]!.userId}`);
    expect(c!.claimed).toBe(1);
    h.clock.set(start);
  });

  test('when a bulk issue crashes, then the next run finishes the draw with the same winners and nobody gets two vouchers', async () => {
    const start = h.clock.now();
    const { pool, actors } = await enteredPool(120, 200);
    const spy = jest.spyOn(h.services.vouchers, 'issueMany').mockRejectedValueOnce(new Error('simulated crash'));
    try {
      const crashed = await closeAndDraw(pool.claimClosesAt as string);
      expect(crashed.status).toBe('failed');
    } finally {
      spy.mockRestore();
    }
    const chosen = await h.db.query<{ id: string }>(sql`SELECT entry_id AS id FROM lottery_wins WHERE pool_id = ${pool.id} ORDER BY entry_id`);
    expect(chosen).toHaveLength(120);
    // a win still to issue takes no voucher but its entry's own lottery voucher
    await expect(h.db.query(sql`UPDATE lottery_wins SET voucher_id = COALESCE((SELECT id FROM vouchers WHERE pool_id <> ${pool.id} LIMIT 1), gen_random_uuid())
      WHERE pool_id = ${pool.id} AND rank = 1`)).rejects.toThrow(/lottery voucher of its entry/);
    expect((await h.services.jobs.run('lottery-draw')).status).toBe('succeeded');
    const { summary, entries } = await published(pool.id, actors[0]!);
    expect(entries.filter((e) => e.result === 'won').map((e) => e.entryId).sort()).toEqual(chosen.map((c) => c.id));
    expect(verifyDraw(publishedDrawFrom(summary, entries)).agree).toBe(true);
    const [v] = await h.db.query<{ n: number; holders: number }>(sql`SELECT count(*)::int AS n, count(DISTINCT holder_id)::int AS holders
      FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(v).toEqual({ n: 120, holders: 120 });
    h.clock.set(start);
  });

  test('when the winners fill many batches, then two issuing workers take disjoint batches and every winner gets exactly one voucher', async () => {
    const start = h.clock.now();
    const { pool, actors } = await enteredPool(700, 1000);
    h.clock.set(new Date(new Date(pool.claimClosesAt as string).getTime()));
    const lottery = new LotteryService(h.db, h.clock, h.services.audit, h.services.pools, h.services.vouchers, 100);
    const report = await lottery.drawRound(pool.id, 0);
    expect(report).toMatchObject({ entries: 1000, winners: 700, issued: 700, forfeited: 0 });
    const [v] = await h.db.query<{ n: number; holders: number; entries: number }>(sql`SELECT count(*)::int AS n,
      count(DISTINCT holder_id)::int AS holders, count(DISTINCT source_ref)::int AS entries FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(v).toEqual({ n: 700, holders: 700, entries: 700 });
    const [linked] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_wins w JOIN vouchers v ON v.id = w.voucher_id
      JOIN lottery_entries e ON e.id = w.entry_id
      WHERE w.pool_id = ${pool.id} AND v.source_ref = e.id::text AND v.holder_id = e.holder_id`);
    expect(linked!.n).toBe(700);
    const { summary, entries } = await published(pool.id, actors[0]!);
    expect(verifyDraw(publishedDrawFrom(summary, entries)).agree).toBe(true);
    await expectReserved(pool.id, 700, 700);
    h.clock.set(start);
  });

  test('when the budget shrank between the selection and the issue, then the batch that no longer fits issues what the pool covers and forfeits the rest with POOL_EXHAUSTED', async () => {
    const start = h.clock.now();
    const { pool } = await enteredPool(100, 150);
    const spy = jest.spyOn(h.services.vouchers, 'issueMany').mockRejectedValueOnce(new Error('simulated crash'));
    try {
      expect((await closeAndDraw(pool.claimClosesAt as string)).status).toBe('failed');
    } finally {
      spy.mockRestore();
    }
    const decrease = await h.http().post(`/api/v1/pools/${pool.id}/budget-changes`).set(bearer(await h.login('jxw.manager')))
      .send({ deltaFen: -30 * AMOUNT_FEN, reason: '预算调减' });
    expect(decrease.status).toBe(201);
    const approved = await h.http().post(`/api/v1/budget-changes/${decrease.body.id}/approve`).set(bearer(await h.login('jxw.approver')));
    expect(approved.body).toMatchObject({ status: 'approved' });
    expect((await h.services.jobs.run('lottery-draw')).status).toBe('succeeded');
    const [t] = await h.db.query<{ issued: number; forfeited: number; codes: string[] }>(sql`SELECT
      count(*) FILTER (WHERE voucher_id IS NOT NULL)::int AS issued, count(*) FILTER (WHERE forfeit_code IS NOT NULL)::int AS forfeited,
      array_agg(DISTINCT forfeit_code) FILTER (WHERE forfeit_code IS NOT NULL) AS codes
      FROM lottery_wins WHERE pool_id = ${pool.id}`);
    expect(t).toEqual({ issued: 70, forfeited: 30, codes: ['POOL_EXHAUSTED'] });
    await expectReserved(pool.id, 70, 70);
    h.clock.set(start);
  });

  test('when entries carry no stored key (made before migration 0009), then the draw computes them in SQL with the same result', async () => {
    const start = h.clock.now();
    const { pool, actors } = await enteredPool(80, 150);
    await h.db.query(sql`INSERT INTO lottery_entries (id, pool_id, round, holder_kind, holder_id, holder_hash, entered_at)
      SELECT gen_random_uuid(), ${pool.id}::uuid, 0, 'consumer', gen_random_uuid(), repeat('a', 64), now() FROM generate_series(1, 50)`);
    expect((await closeAndDraw(pool.claimClosesAt as string)).status).toBe('succeeded');
    const { summary, entries } = await published(pool.id, actors[0]!);
    expect(entries).toHaveLength(200);
    expect(entries.filter((e) => e.result === 'won')).toHaveLength(80);
    expect(verifyDraw(publishedDrawFrom(summary, entries)).agree).toBe(true);
    h.clock.set(start);
  });

  test('when a stored draw key was tampered with, then the select step refuses to commit and no win is written', async () => {
    const start = h.clock.now();
    const { pool } = await enteredPool(2, 5);
    // as someone with the database's superuser could: the entry guard off, one key set to zeros so that entry would win
    const [last] = await h.db.query<{ id: string; key: string }>(sql`SELECT id, encode(draw_key, 'hex') AS key FROM lottery_entries
      WHERE pool_id = ${pool.id} ORDER BY draw_key DESC LIMIT 1`);
    const setKey = (hex: string) => h.db.transaction(async (tx) => {
      await tx.query(sql`SET LOCAL session_replication_role = replica`);
      await tx.query(sql`UPDATE lottery_entries SET draw_key = decode(${hex}, 'hex') WHERE id = ${last!.id}`);
    });
    await setKey('00'.repeat(32));
    const run = await closeAndDraw(pool.claimClosesAt as string);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/not HMAC\(seed, id\)/);
    const [wins] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_wins WHERE pool_id = ${pool.id}`);
    expect(wins!.n).toBe(0);
    // with the key put back, the next run draws the round, and the tampered entry does not win
    await setKey(last!.key);
    expect((await h.services.jobs.run('lottery-draw')).status).toBe('succeeded');
    const won = await h.db.query<{ entry_id: string }>(sql`SELECT entry_id FROM lottery_wins WHERE pool_id = ${pool.id}`);
    expect(won.map((w) => w.entry_id)).not.toContain(last!.id);
    expect(won).toHaveLength(2);
    h.clock.set(start);
  });

  test('when the winners are selected, then the database refuses to turn another entry into a winner', async () => {
    const start = h.clock.now();
    const { pool } = await enteredPool(2, 5);
    expect((await closeAndDraw(pool.claimClosesAt as string)).status).toBe('succeeded');
    await expect(h.db.query(sql`UPDATE lottery_entries SET result = 'won', decided_at = now()
      WHERE pool_id = ${pool.id} AND result IS NULL`)).rejects.toThrow(/final/);
    await expect(h.db.query(sql`UPDATE lottery_entries SET draw_key = sha256('x'::bytea) WHERE pool_id = ${pool.id}`)).rejects.toThrow(/final/);
    // a loser cannot be added as a win (ranks 3… are free, but the round is selected and winnersMax is 2)
    await expect(h.db.query(sql`INSERT INTO lottery_wins (pool_id, round, rank, entry_id, holder_kind, holder_id)
      SELECT e.pool_id, e.round, 3, e.id, e.holder_kind, e.holder_id FROM lottery_entries e
      WHERE e.pool_id = ${pool.id} AND NOT EXISTS (SELECT 1 FROM lottery_wins w WHERE w.entry_id = e.id) LIMIT 1`)).rejects.toThrow(/selected/);
    await expect(h.db.query(sql`UPDATE lottery_wins SET voucher_id = NULL, forfeit_code = 'X' WHERE pool_id = ${pool.id}`)).rejects.toThrow(/final/);
    // a win keeps its entry, holder and voucher; wins are never deleted
    await expect(h.db.query(sql`UPDATE lottery_wins SET holder_id = gen_random_uuid() WHERE pool_id = ${pool.id}`)).rejects.toThrow(/final/);
    await expect(h.db.query(sql`UPDATE lottery_wins SET voucher_id = NULL WHERE pool_id = ${pool.id}`)).rejects.toThrow(/final/);
    await expect(h.db.query(sql`UPDATE lottery_wins SET rank = rank + 10 WHERE pool_id = ${pool.id}`)).rejects.toThrow(/final/);
    await expect(h.db.query(sql`DELETE FROM lottery_wins WHERE pool_id = ${pool.id}`)).rejects.toThrow(/append-only/);
    h.clock.set(start);
  });
});
