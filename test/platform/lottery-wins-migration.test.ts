/**
 * Migration 0013 moves lottery wins out of lottery_entries into lottery_wins. A round whose
 * draw was selected under the old schema, and stopped midway through its issue (one win
 * issued, one forfeited, one still to issue), comes through with its wins ranked by key, their
 * voucher and forfeit kept; the next draw run issues the rest, and the published draw still
 * verifies and the books reconcile.
 */
import type { LotterySummary, PublishedEntry } from '@hqt/shared';
import { ManualClock } from '../../server/src/platform/clock';
import { sql } from '../../server/src/platform/db';
import { migrate, readMigrations } from '../../server/src/platform/migrate';
import { findPool } from '../../server/src/capabilities/lottery/lottery.repository';
import { publishedDrawFrom, verifyDraw } from '../../scripts/verify-lottery';
import { bearer, type Harness } from '../helpers/harness';
import { appOver, freshDbForFile } from '../helpers/fresh-db';
import { bulkConsumers, HOUR_MS, openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';

const AMOUNT_FEN = 9000;
const PASSWORD = 'bulk-pass-1';

describe('migration 0013: lottery wins in their own table', () => {
  const fresh = freshDbForFile();

  test('when a round was selected and half issued under the old schema, then its wins move over ranked by key and the next run finishes the draw', async () => {
    const db = fresh.db();
    await migrate(db, readMigrations().filter((m) => m.version !== 13));
    const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
    const h: Harness = await appOver(db, clock);
    const now = clock.now().getTime();
    const pool = await openPool(h, {
      distribution: 'lottery', budgetFen: 3 * AMOUNT_FEN,
      claimOpensAt: new Date(now - HOUR_MS).toISOString(), claimClosesAt: new Date(now + HOUR_MS).toISOString(),
    });
    const logins = await bulkConsumers(h, 5, PASSWORD);
    for (const login of logins) {
      const res = await h.http().post(`/api/v1/pools/${pool.id}/lottery/entries`).set(bearer(await h.login(login, PASSWORD))).send();
      expect(res.status).toBe(201);
    }

    // the old draw, as its code wrote it: sealed, the three smallest keys marked won, then
    // (before a crash) the first win issued and the second forfeited
    const byKey = await db.query<{ id: string; holder_id: string }>(sql`SELECT id, holder_id FROM lottery_entries
      WHERE pool_id = ${pool.id} ORDER BY draw_key, id`);
    const [first, second, third] = byKey as [typeof byKey[0], typeof byKey[0], typeof byKey[0]];
    await db.query(sql`INSERT INTO lottery_draws (pool_id, round, entries_count, available_fen, share_fen, amount_fen, winners_max, sealed_at)
      VALUES (${pool.id}, 0, 5, ${3 * AMOUNT_FEN}, ${3 * AMOUNT_FEN}, ${AMOUNT_FEN}, 3, now())`);
    await db.query(sql`UPDATE lottery_entries SET result = 'won', decided_at = now()
      WHERE id IN (${first.id}::uuid, ${second.id}::uuid, ${third.id}::uuid)`);
    await db.query(sql`UPDATE lottery_draws SET winners_count = 3, selected_at = now() WHERE pool_id = ${pool.id}`);
    const legacyVoucher = await db.transaction(async (tx) => {
      const row = await findPool(tx, pool.id);
      const v = await h.services.vouchers.issueOne(tx, row!, { holder: { kind: 'consumer', id: first.holder_id }, source: 'lottery', sourceRef: first.id }, clock.now());
      await tx.query(sql`UPDATE lottery_entries SET voucher_id = ${v.id} WHERE id = ${first.id}`);
      return v.id;
    });
    await db.query(sql`UPDATE lottery_entries SET forfeit_code = 'ANNUAL_CAP_REACHED' WHERE id = ${second.id}`);

    expect(await migrate(db)).toEqual(['0013_lottery_wins.sql']);
    const wins = await db.query(sql`SELECT rank, entry_id, holder_id, voucher_id, forfeit_code FROM lottery_wins
      WHERE pool_id = ${pool.id} ORDER BY rank`);
    expect(wins).toEqual([
      { rank: 1, entry_id: first.id, holder_id: first.holder_id, voucher_id: legacyVoucher, forfeit_code: null },
      { rank: 2, entry_id: second.id, holder_id: second.holder_id, voucher_id: null, forfeit_code: 'ANNUAL_CAP_REACHED' },
      { rank: 3, entry_id: third.id, holder_id: third.holder_id, voucher_id: null, forfeit_code: null },
    ]);
    // an entry is frozen whole now (the old win columns too), and a write that changes nothing passes
    await expect(db.query(sql`UPDATE lottery_entries SET voucher_id = NULL WHERE id = ${first.id}`)).rejects.toThrow(/final/);
    await expect(db.query(sql`UPDATE lottery_entries SET entered_at = entered_at + interval '1 second' WHERE id = ${third.id}`)).rejects.toThrow(/final/);
    await db.query(sql`UPDATE lottery_entries SET draw_key = draw_key, holder_hash = holder_hash WHERE pool_id = ${pool.id}`);

    clock.set(new Date(now + HOUR_MS + 60_000));
    expect((await h.services.jobs.run('lottery-draw')).status).toBe('succeeded');
    const vouchers = await db.query<{ holder_id: string; source_ref: string }>(sql`SELECT holder_id, source_ref FROM vouchers
      WHERE pool_id = ${pool.id} ORDER BY source_ref`);
    expect(vouchers).toEqual([first, third].map((e) => ({ holder_id: e.holder_id, source_ref: e.id })).sort((a, b) => a.source_ref.localeCompare(b.source_ref)));

    const auth = bearer(await h.login(logins[0]!, PASSWORD));
    const summary = (await h.http().get(`/api/v1/pools/${pool.id}/lottery`).set(auth)).body as LotterySummary;
    expect(summary).toMatchObject({ status: 'drawn', winnersCount: 3, entriesCount: 5 });
    const listed = (await h.http().get(`/api/v1/pools/${pool.id}/lottery/entries`).query({ round: 0, limit: 1000 }).set(auth)).body as { items: PublishedEntry[] };
    expect(listed.items.filter((e) => e.result === 'won').map((e) => e.entryId).sort()).toEqual([first.id, second.id, third.id].sort());
    expect(verifyDraw(publishedDrawFrom(summary, listed.items)).agree).toBe(true);
    const outcomes = await db.query<{ holder_id: string }>(sql`SELECT holder_id FROM lottery_entries WHERE id = ${second.id}`);
    const secondLogin = (await db.query<{ login: string }>(sql`SELECT login FROM users WHERE id = ${outcomes[0]!.holder_id}`))[0]!.login;
    const mine = (await h.http().get(`/api/v1/pools/${pool.id}/lottery`).set(bearer(await h.login(secondLogin, PASSWORD)))).body as LotterySummary;
    expect(mine.myEntry).toMatchObject({ result: 'forfeited', forfeitCode: 'ANNUAL_CAP_REACHED', voucherId: null });
    await expectReconciled(h);
  });
});
