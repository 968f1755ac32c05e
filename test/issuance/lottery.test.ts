import { createHash, createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { LotterySummary, PublishedEntry } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { bulkConsumers, HOUR_MS, openPool, poolEquation } from '../helpers/factories';
import { sql } from '../../server/src/platform/db';
import { HttpProblem } from '../../server/src/app/problem';
import { metrics } from '../../server/src/platform/metrics';
import { hmacPads } from '../../server/src/capabilities/lottery';
import { drawKeySql } from '../../server/src/capabilities/lottery/lottery.repository';
import { fetchAndVerify, publishedDrawFrom, verifyDraw } from '../../scripts/verify-lottery';

const AMOUNT_FEN = 9000; // the consumption preset: 满300减90
const BULK_PASSWORD = 'bulk-pass-1';

describe('lottery (摇号)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  // Access tokens live 15 minutes and the tests move the clock by hours: log in per request.
  const asUser = async (login: string) => bearer(await h.login(login, /^166/.test(login) ? BULK_PASSWORD : undefined));
  const enter = async (poolId: string, login: string) =>
    h.http().post(`/api/v1/pools/${poolId}/lottery/entries`).set(await asUser(login)).send();
  const summary = async (poolId: string, login: string, round?: number) => {
    const res = await h.http().get(`/api/v1/pools/${poolId}/lottery${round === undefined ? '' : `?round=${round}`}`).set(await asUser(login));
    expect(res.status).toBe(200);
    return res.body as LotterySummary;
  };
  const runDraw = () => h.services.jobs.run('lottery-draw');
  /** Every page of the published entrant list, `limit` at a time. */
  const allEntries = async (poolId: string, login: string, round: number, limit = 1000) => {
    const items: PublishedEntry[] = [];
    let cursor: string | null = null;
    const auth = await asUser(login);
    do {
      const res: { status: number; body: { items: PublishedEntry[]; nextCursor: string | null } } = await h.http().get(`/api/v1/pools/${poolId}/lottery/entries`)
        .query({ round, limit, ...(cursor ? { cursor } : {}) }).set(auth);
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  };
  /** The winners computed here, independently of the server: smallest HMAC-SHA256(seed, entryId). */
  const independentWinners = (seed: string, entryIds: string[], n: number) =>
    entryIds.map((id) => ({ id, key: createHmac('sha256', seed).update(id).digest('hex') }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, n).map((x) => x.id).sort();
  const lotteryVouchers = async (poolId: string) => {
    const [row] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${poolId} AND source = 'lottery'`);
    return row!.n;
  };
  const userId = async (login: string) => {
    const [row] = await h.db.query<{ id: string }>(sql`SELECT id FROM users WHERE login = ${login}`);
    return row!.id;
  };
  const lotteryPool = (extra: Record<string, unknown> = {}) => {
    const now = h.clock.now().getTime();
    return openPool(h, {
      distribution: 'lottery', claimOpensAt: new Date(now - HOUR_MS).toISOString(),
      claimClosesAt: new Date(now + HOUR_MS).toISOString(), ...extra,
    });
  };

  test('when a holder enters twice, also concurrently, then one entry exists and every reply carries it (201 once, then 200)', async () => {
    const pool = await lotteryPool({ budgetFen: 10 * AMOUNT_FEN });
    const first = await enter(pool.id, '13800138000');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ poolId: pool.id, round: 0, result: 'pending', voucherId: null });
    expect(first.body.entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.body.holderHash).toBe(createHash('sha256').update((await userId('13800138000')) + pool.id).digest('hex'));
    const again = await enter(pool.id, '13800138000');
    expect(again.status).toBe(200);
    expect(again.body.entryId).toBe(first.body.entryId);

    const [login] = await bulkConsumers(h, 1);
    const auth = await asUser(login!);
    const burst = await Promise.all(Array.from({ length: 10 }, () =>
      h.http().post(`/api/v1/pools/${pool.id}/lottery/entries`).set(auth).send()));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(1);
    expect(burst.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(new Set(burst.map((r) => r.body.entryId)).size).toBe(1);
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_entries WHERE pool_id = ${pool.id}`);
    expect(n!.n).toBe(2);

    const s = await summary(pool.id, '13800138000');
    expect(s).toMatchObject({ status: 'open', seed: null, entriesCount: 2, winnersCount: null, round: 0, roundsCount: 1 });
    expect(s.seedHash).toBe(pool.lotterySeedHash);
    expect(s.myEntry?.entryId).toBe(first.body.entryId);
    const early = await h.http().get(`/api/v1/pools/${pool.id}/lottery/entries`).set(await asUser('13800138000'));
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('LOTTERY_NOT_DRAWN');
  });

  test('when many holders enter at once, each twice, then their entries share statements (the entry batcher) and each holder has one entry', async () => {
    const pool = await lotteryPool({ budgetFen: 10 * AMOUNT_FEN });
    const logins = await bulkConsumers(h, 40);
    const auths = await Promise.all(logins.map((l) => asUser(l)));
    const before = (await metrics.lotteryEntryBatchSize.get()).values;
    const figure = (values: typeof before, name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
    const replies = await Promise.all(auths.flatMap((auth) => [0, 1].map(() =>
      h.http().post(`/api/v1/pools/${pool.id}/lottery/entries`).set(auth).send())));
    const after = (await metrics.lotteryEntryBatchSize.get()).values;
    expect(replies.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    for (let i = 0; i < logins.length; i++) {
      const pair = replies.slice(2 * i, 2 * i + 2);
      expect(pair.map((r) => r.status).sort()).toEqual([200, 201]);
      expect(pair[0]!.body.entryId).toBe(pair[1]!.body.entryId);
    }
    const [n] = await h.db.query<{ n: number; holders: number }>(sql`SELECT count(*)::int AS n, count(DISTINCT holder_id)::int AS holders
      FROM lottery_entries WHERE pool_id = ${pool.id}`);
    expect(n).toEqual({ n: 40, holders: 40 });
    // every request went through a batch, and batches held more than one entry
    const members = figure(after, 'hqt_lottery_entry_batch_size_sum') - figure(before, 'hqt_lottery_entry_batch_size_sum');
    const batches = figure(after, 'hqt_lottery_entry_batch_size_count') - figure(before, 'hqt_lottery_entry_batch_size_count');
    expect(members).toBe(80);
    expect(batches).toBeLessThan(members);
    expect(h.services.lottery.entryBatcher).not.toBeNull();
    await h.services.lottery.entryBatcher?.flushAll(); // nothing waits: resolves at once
  });

  test('when the caller cannot hold the vouchers or the pool is not a lottery, then NOT_ELIGIBLE / WRONG_DISTRIBUTION', async () => {
    const pool = await lotteryPool({ budgetFen: 10 * AMOUNT_FEN });
    const ent = await enter(pool.id, 'ent.alpha');
    expect(ent.status).toBe(403);
    expect(ent.body.code).toBe('NOT_ELIGIBLE');
    const grab = await openPool(h, { distribution: 'first_come' });
    const wrong = await enter(grab.id, '13800138000');
    expect(wrong.status).toBe(409);
    expect(wrong.body.code).toBe('WRONG_DISTRIBUTION');
  });

  test('when entries have closed or not opened yet, then LOTTERY_CLOSED', async () => {
    const now = h.clock.now().getTime();
    const later = await openPool(h, { distribution: 'lottery', claimOpensAt: new Date(now + HOUR_MS).toISOString(), claimClosesAt: new Date(now + 2 * HOUR_MS).toISOString() });
    expect(later.status).toBe('scheduled');
    expect((await enter(later.id, '13800138000')).body.code).toBe('LOTTERY_CLOSED');
    const pool = await lotteryPool();
    h.clock.set(new Date(now + HOUR_MS - 1));
    expect((await enter(pool.id, '13800138000')).status).toBe(201);
    h.clock.set(new Date(now + HOUR_MS));
    const closed = await enter(pool.id, '13800138000');
    expect(closed.status).toBe(409);
    expect(closed.body.code).toBe('LOTTERY_CLOSED');
    expect((await summary(pool.id, '13800138000')).status).toBe('closed');
  });

  test('when 12 enter for 5 vouchers, then the 5 smallest HMAC(seed, entryId) win, the verify script agrees, and a re-run changes nothing', async () => {
    const pool = await lotteryPool({ budgetFen: 5 * AMOUNT_FEN });
    const logins = await bulkConsumers(h, 12);
    for (const l of logins) expect((await enter(pool.id, l)).status).toBe(201);
    h.clock.set(new Date(new Date(pool.claimClosesAt as string).getTime() + 1000));

    const run = await runDraw();
    expect(run.status).toBe('succeeded');
    expect(await lotteryVouchers(pool.id)).toBe(5);

    const s = await summary(pool.id, logins[0]!);
    expect(s).toMatchObject({ status: 'drawn', entriesCount: 12, winnersMax: 5, winnersCount: 5 });
    expect(createHash('sha256').update(s.seed!).digest('hex')).toBe(pool.lotterySeedHash);
    const entries = await allEntries(pool.id, logins[0]!, 0, 5);
    expect(entries).toHaveLength(12);
    const serverWinners = entries.filter((e) => e.result === 'won').map((e) => e.entryId).sort();
    expect(serverWinners).toEqual(independentWinners(s.seed!, entries.map((e) => e.entryId), 5));

    // the published list shows hashed holders only
    const ids = await Promise.all(logins.map(userId));
    const listed = JSON.stringify(entries);
    expect(ids.some((id) => listed.includes(id))).toBe(false);
    expect(new Set(entries.map((e) => e.holderHash))).toEqual(new Set(ids.map((id) => createHash('sha256').update(id + pool.id).digest('hex'))));

    // winners hold a voucher; the rest see "not drawn"
    for (const l of logins) {
      const mine = (await summary(pool.id, l)).myEntry!;
      if (serverWinners.includes(mine.entryId)) {
        expect(mine.result).toBe('won');
        const v = await h.http().get(`/api/v1/vouchers/${mine.voucherId}`).set(await asUser(l));
        expect(v.status).toBe(200);
        expect(v.body).toMatchObject({ poolId: pool.id, source: 'lottery', status: 'active', amountFen: AMOUNT_FEN });
      } else {
        expect(mine).toMatchObject({ result: 'not_drawn', voucherId: null });
      }
    }

    const published = publishedDrawFrom(s, entries);
    expect(verifyDraw(published).agree).toBe(true);
    const loser = entries.find((e) => e.result === 'lost')!.entryId;
    const tampered = verifyDraw({ ...published, winners: [loser, ...published.winners.slice(1)] });
    expect(tampered.agree).toBe(false);
    expect(tampered.checks.find((c) => c.name === 'winner set')?.ok).toBe(false);
    expect(verifyDraw({ ...published, seed: published.seed.replace(/^./, (c) => (c === '0' ? '1' : '0')) }).agree).toBe(false);

    const server = h.app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const streamed = await fetchAndVerify(`http://127.0.0.1:${port}/api/v1/pools/${pool.id}/lottery`, { token: await h.login('admin') });
      expect(streamed.agree).toBe(true);
    } finally {
      server.close();
    }

    const before = await poolEquation(h, pool.id);
    expect(before.available).toBe(0);
    expect(before.journal).toEqual({ budget: before.budget, available: 0, reserved: 5 * AMOUNT_FEN, spent: 0 });
    const again = await runDraw();
    expect(again).toMatchObject({ status: 'succeeded', rows: 0 });
    expect(await lotteryVouchers(pool.id)).toBe(5);
    expect(await poolEquation(h, pool.id)).toEqual(before);
    const audited = await h.db.query(sql`SELECT 1 FROM audit_log WHERE action = 'lottery.drawn' AND target_id = ${pool.id}`);
    expect(audited).toHaveLength(1);
  });

  test('when fewer enter than the budget covers, then every entrant wins and the rest stays available', async () => {
    const pool = await lotteryPool({ budgetFen: 10 * AMOUNT_FEN });
    const logins = await bulkConsumers(h, 3);
    for (const l of logins) expect((await enter(pool.id, l)).status).toBe(201);
    h.clock.set(new Date(new Date(pool.claimClosesAt as string).getTime()));
    expect((await runDraw()).status).toBe('succeeded');
    expect(await lotteryVouchers(pool.id)).toBe(3);
    for (const l of logins) expect((await summary(pool.id, l)).myEntry?.result).toBe('won');
    const eq = await poolEquation(h, pool.id);
    expect(eq.available).toBe(7 * AMOUNT_FEN);
    expect(eq.journal).toEqual({ budget: eq.budget, available: 7 * AMOUNT_FEN, reserved: 3 * AMOUNT_FEN, spent: 0 });
    expect(eq.journal.available + eq.journal.reserved + eq.journal.spent).toBe(eq.budget);
  });

  test('when a pool runs rounds, then each round takes one entry per holder, draws its share, and a winner cannot enter again', async () => {
    const now = h.clock.now().getTime();
    const at = (hours: number) => new Date(now + hours * HOUR_MS).toISOString();
    const pool = await openPool(h, {
      distribution: 'lottery', budgetFen: 4 * AMOUNT_FEN, perHolderMax: 1, reissueUnused: true,
      claimOpensAt: at(-1), claimClosesAt: at(4),
      rounds: [{ opensAt: at(-1), closesAt: at(1) }, { opensAt: at(2), closesAt: at(3) }],
    });
    const logins = await bulkConsumers(h, 6);
    for (const l of logins) expect((await enter(pool.id, l)).status).toBe(201);
    h.clock.set(new Date(now + HOUR_MS));
    expect((await enter(pool.id, logins[0]!)).body.code).toBe('LOTTERY_CLOSED');
    expect((await runDraw()).status).toBe('succeeded');
    const round0 = await summary(pool.id, logins[0]!, 0);
    expect(round0).toMatchObject({ status: 'drawn', winnersMax: 2, winnersCount: 2, entriesCount: 6 });
    expect(await lotteryVouchers(pool.id)).toBe(2);
    const [drawnAt] = await h.db.query<{ at: string | null }>(sql`SELECT lottery_drawn_at AS at FROM pools WHERE id = ${pool.id}`);
    expect(drawnAt!.at).toBeNull();

    h.clock.set(new Date(now + 2 * HOUR_MS));
    const results = await Promise.all(logins.map(async (l) => ({ l, r: (await summary(pool.id, l, 0)).myEntry!.result })));
    const winner = results.find((x) => x.r === 'won')!.l;
    const losers = results.filter((x) => x.r === 'not_drawn').map((x) => x.l);
    expect(losers).toHaveLength(4);
    expect((await enter(pool.id, winner)).body.code).toBe('LIMIT_REACHED');
    const second = await enter(pool.id, losers[0]!);
    expect(second.status).toBe(201);
    expect(second.body.round).toBe(1);
    expect((await enter(pool.id, losers[0]!)).status).toBe(200);
    for (const l of losers.slice(1)) expect((await enter(pool.id, l)).status).toBe(201);
    expect((await summary(pool.id, losers[0]!)).status).toBe('open');

    h.clock.set(new Date(now + 3 * HOUR_MS));
    expect((await runDraw()).status).toBe('succeeded');
    const round1 = await summary(pool.id, losers[0]!, 1);
    expect(round1).toMatchObject({ status: 'drawn', winnersMax: 2, winnersCount: 2, entriesCount: 4 });
    expect(verifyDraw(publishedDrawFrom(round1, await allEntries(pool.id, losers[0]!, 1))).agree).toBe(true);
    expect(await lotteryVouchers(pool.id)).toBe(4);
    const eq = await poolEquation(h, pool.id);
    expect(eq.journal).toEqual({ budget: 4 * AMOUNT_FEN, available: 0, reserved: 4 * AMOUNT_FEN, spent: 0 });
    const [after] = await h.db.query<{ at: string | null }>(sql`SELECT lottery_drawn_at AS at FROM pools WHERE id = ${pool.id}`);
    expect(after!.at).not.toBeNull();
  });

  /**
   * A lottery pool of `vouchers` with `entrants` entered, closed, and drawn once while
   * `issueOne` throws `err` on its `nth` call (and issues for real otherwise).
   */
  const drawWhileIssueOneFails = async (vouchers: number, entrants: number, nth: number, err: Error) => {
    const pool = await lotteryPool({ budgetFen: vouchers * AMOUNT_FEN });
    const logins = await bulkConsumers(h, entrants);
    for (const l of logins) expect((await enter(pool.id, l)).status).toBe(201);
    h.clock.set(new Date(new Date(pool.claimClosesAt as string).getTime()));
    const service = h.services.vouchers;
    const realIssue = service.issueOne.bind(service);
    let calls = 0;
    const spy = jest.spyOn(service, 'issueOne').mockImplementation(async (...args) => {
      if (++calls === nth) throw err;
      return realIssue(...args);
    });
    try {
      return { pool, logins, run: await runDraw() };
    } finally {
      spy.mockRestore();
    }
  };

  test('when a draw crashes midway, then the next run finishes it with the same winners and nobody gets two vouchers', async () => {
    const { pool, logins, run: crashed } = await drawWhileIssueOneFails(3, 5, 2, new Error('simulated crash'));
    expect(crashed.status).toBe('failed');
    expect(crashed.error).toContain('simulated crash');
    expect(await lotteryVouchers(pool.id)).toBe(0);
    const [draw] = await h.db.query<{ winners_count: number; drawn_at: string | null }>(sql`
      SELECT winners_count, drawn_at FROM lottery_draws WHERE pool_id = ${pool.id}`);
    expect(draw).toEqual({ winners_count: 3, drawn_at: null });
    const chosen = await h.db.query<{ id: string }>(sql`SELECT entry_id AS id FROM lottery_wins WHERE pool_id = ${pool.id} ORDER BY entry_id`);

    expect((await runDraw()).status).toBe('succeeded');
    expect(await lotteryVouchers(pool.id)).toBe(3);
    const s = await summary(pool.id, logins[0]!);
    const entries = await allEntries(pool.id, logins[0]!, 0);
    expect(entries.filter((e) => e.result === 'won').map((e) => e.entryId).sort()).toEqual(chosen.map((c) => c.id));
    expect(verifyDraw(publishedDrawFrom(s, entries)).agree).toBe(true);
    const [holders] = await h.db.query<{ n: number }>(sql`SELECT count(DISTINCT holder_id)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(holders!.n).toBe(3);
  });

  test('when a holder limit refuses a winner\'s voucher, then that win is forfeited with the code and its budget stays available', async () => {
    const { pool, logins, run } = await drawWhileIssueOneFails(2, 2, 1, new HttpProblem('ANNUAL_CAP_REACHED'));
    expect(run.status).toBe('succeeded');
    const outcomes = await Promise.all(logins.map(async (l) => (await summary(pool.id, l)).myEntry!));
    expect(outcomes.map((o) => o.result).sort()).toEqual(['forfeited', 'won']);
    expect(outcomes.find((o) => o.result === 'forfeited')?.forfeitCode).toBe('ANNUAL_CAP_REACHED');
    expect(await lotteryVouchers(pool.id)).toBe(1);
    const eq = await poolEquation(h, pool.id);
    expect(eq.journal).toEqual({ budget: 2 * AMOUNT_FEN, available: AMOUNT_FEN, reserved: AMOUNT_FEN, spent: 0 });
  });

  test('when a round is sealed, then the database refuses new entries and deletions', async () => {
    const pool = await lotteryPool({ budgetFen: AMOUNT_FEN });
    expect((await enter(pool.id, '13800138000')).status).toBe(201);
    h.clock.set(new Date(new Date(pool.claimClosesAt as string).getTime()));
    expect((await runDraw()).status).toBe('succeeded');
    const holder = await userId('13800138000');
    await expect(h.db.query(sql`INSERT INTO lottery_entries (id, pool_id, round, holder_kind, holder_id, holder_hash, entered_at)
      VALUES (gen_random_uuid(), ${pool.id}, 0, 'consumer', gen_random_uuid(), ${'a'.repeat(64)}, now())`)).rejects.toThrow(/sealed/);
    await expect(h.db.query(sql`DELETE FROM lottery_entries WHERE pool_id = ${pool.id}`)).rejects.toThrow(/append-only/);
    await expect(h.db.query(sql`UPDATE lottery_entries SET result = 'lost' WHERE pool_id = ${pool.id} AND holder_id = ${holder}`)).rejects.toThrow(/final/);
  });

  test('when the key is short, a full block, long or not ASCII, then the SQL HMAC equals node crypto', async () => {
    const ids = ['00000000-0000-4000-8000-000000000000', 'f47ac10b-58cc-4372-a567-0e02b2c3d479'];
    for (const seed of ['', 'k', 'a'.repeat(64), 'b'.repeat(100), '摇号种子·seed']) {
      for (const id of ids) {
        const [row] = await h.db.query<{ k: string }>(sql`SELECT encode(${drawKeySql(hmacPads(seed), sql`${id}::uuid`)}, 'hex') AS k`);
        expect(row!.k).toBe(createHmac('sha256', seed).update(id).digest('hex'));
      }
    }
  });
});
