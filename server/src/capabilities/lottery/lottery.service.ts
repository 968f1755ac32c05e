/**
 * Owns the lottery (摇号): entries (one per holder per pool round), the published commitment
 * and results, and the draw. The draw runs in steps, each idempotent, so a crashed draw
 * simply runs again: seal (freeze the entrant list and the number of winners) → select
 * (write the entries with the smallest HMAC-SHA256(seed, entryId), read off an index of the
 * keys stored at entry, as the round's ranked wins in lottery_wins) → issue (vouchers in
 * batches of ranks, many per statement) → drawn (audited; the seed is revealed from then on).
 * Entries without a win in a round whose winners are selected have lost; they are not marked
 * one by one, and a draw never updates lottery_entries.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { LotteryEntry, LotteryOutcome, LotterySummary, PublishedEntry } from '@hqt/shared';
import { BATCHING_OFF, type BatchingOptions } from '../../platform/batching';
import type { Clock } from '../../platform/clock';
import { sql, type Db, type Queryable } from '../../platform/db';
import { PG_CHECK_VIOLATION, pgErrorOf } from '../../platform/pg-errors';
import { HttpProblem } from '../../app/problem';
import type { AuditService } from '../audit';
import type { Actor } from '../identity';
import {
  currentRound, holderFor, openRound, roundShareFen, roundWindows, type Holder, type PoolRow, type PoolsService, type RoundWindow,
} from '../pools';
import { BatchDoesNotFit, type IssueOutcome, type VouchersService } from '../vouchers';
import { hmacPads, holderHash } from './draw-key';
import { EntryBatcher } from './entry-batcher';
import * as repo from './lottery.repository';
import type { DrawRow, EntryRow, WinRow } from './lottery.repository';

/** Winners issued per transaction (one statement per step for all of them: VouchersService.issueMany). */
export const ISSUE_BATCH = 5000;
/** Issuing transactions of one draw running at once (two cores: one writes while the other commits) */
const ISSUE_WORKERS = 2;
/** Fewer wins than this in a batch are issued one by one (issueOne, a savepoint each): small draws gain nothing from bulk. */
const BULK_ISSUE_MIN = 64;
/** The draw's sort may use this much memory (a session setting of its own transaction). */
const DRAW_WORK_MEM = '256MB';
/** A pool row read for an entry is reused this long; the insert itself checks the pool is open. */
const ENTRY_POOL_TTL_MS = 1_000;
const ENTRY_POOL_CACHE_MAX = 1_000;
/** Rounds drawn per job run; the rest wait for the next minute. */
const DUE_ROUNDS_MAX = 20;

export interface DrawReport {
  poolId: string;
  round: number;
  entries: number;
  winners: number;
  issued: number;
  forfeited: number;
}

export interface DrawRunResult {
  draws: number;
  entries: number;
  winners: number;
  issued: number;
  forfeited: number;
}

/** An entry without a result has lost once its round's winners are selected. */
function outcomeOf(e: EntryRow, selected: boolean): LotteryOutcome {
  if (e.result === null) return selected ? 'not_drawn' : 'pending';
  if (e.result === 'lost') return 'not_drawn';
  return e.forfeit_code ? 'forfeited' : e.voucher_id ? 'won' : 'pending';
}

function entryView(e: EntryRow, selected = false): LotteryEntry {
  return {
    entryId: e.id, poolId: e.pool_id, round: e.round, enteredAt: e.entered_at, holderHash: e.holder_hash,
    result: outcomeOf(e, selected), voucherId: e.voucher_id, forfeitCode: e.forfeit_code,
  };
}

/** HMAC-SHA256(seed, entry id): the key the draw ranks the entry by (docs/LOTTERY.md). */
export function drawKeyOf(seed: string, entryId: string): Buffer {
  return createHmac('sha256', seed).update(entryId).digest();
}

export class LotteryService {
  constructor(
    private readonly db: Db, private readonly clock: Clock, private readonly audit: AuditService,
    private readonly pools: PoolsService, private readonly vouchers: VouchersService,
    /** wins issued per transaction (smaller in tests, to run many batches) */
    private readonly issueBatchMax = ISSUE_BATCH,
    entryBatching: BatchingOptions = BATCHING_OFF,
  ) {
    if (!Number.isSafeInteger(issueBatchMax) || issueBatchMax < 1) throw new Error(`assertion: bad lottery issue batch ${issueBatchMax}`);
    this.entryBatcher = entryBatching.enabled ? new EntryBatcher(db, clock, entryBatching) : null;
  }

  /** null when LOTTERY_ENTRY_BATCHING is off: every entry is then its own statement */
  readonly entryBatcher: EntryBatcher | null;

  /** A lottery pool the actor may see, with the holder it acts as (null for issuers and the platform). */
  private async lotteryPool(actor: Actor, poolId: string): Promise<{ pool: PoolRow; holder: Holder | null }> {
    const pool = await this.pools.visiblePool(actor, poolId);
    if (pool.distribution !== 'lottery') throw new HttpProblem('WRONG_DISTRIBUTION', `This pool issues by ${pool.distribution}`);
    if (!pool.lottery_seed_hash) throw new Error(`assertion: lottery pool ${pool.id} has no seed commitment`);
    return { pool, holder: holderFor(actor, pool.audience) };
  }

  private readonly entryPools = new Map<string, { row: Promise<PoolRow | null>; at: number }>();

  /** The pool row for an entry, reused for a second (one read in flight per pool): the entry statement itself checks the pool is still open. */
  private entryPool(poolId: string): Promise<PoolRow | null> {
    const hit = this.entryPools.get(poolId);
    const nowMs = performance.now();
    if (hit && nowMs - hit.at < ENTRY_POOL_TTL_MS) return hit.row;
    const row = repo.findPool(this.db, poolId);
    if (this.entryPools.size >= ENTRY_POOL_CACHE_MAX) this.entryPools.delete(this.entryPools.keys().next().value as string);
    this.entryPools.set(poolId, { row, at: nowMs });
    row.catch(() => this.entryPools.delete(poolId));
    return row;
  }

  /**
   * Enters the round taking entries now. A repeat returns the same entry with `created: false`.
   * The common case is one statement (repo.enterOnce), or one statement for a batch of
 * concurrent entries (EntryBatcher, repo.enterMany); anything unusual — a pool not seen,
   * closed or sealed meanwhile, a concurrent duplicate — answers through the careful path.
   */
  async enter(actor: Actor, poolId: string): Promise<{ created: boolean; entry: LotteryEntry }> {
    const cached = await this.entryPool(poolId);
    const holder = cached && cached.lottery_seed && this.pools.canSee(actor, cached) ? holderFor(actor, cached.audience) : null;
    const window = holder && cached ? openRound(cached, this.clock.now()) : null;
    if (!cached || !holder || !window) return this.enterCarefully(actor, poolId);
    const eligibility = await this.pools.eligibilityMany(this.db, cached, [holder]);
    if (!eligibility.get(holder.id)?.eligible) return this.enterCarefully(actor, poolId);
    if (this.entryBatcher) {
      const batched = await this.entryBatcher.enter(cached, this.newEntry(cached, window.round, holder));
      if (batched) return { created: batched.created, entry: entryView(batched.entry) };
      this.entryPools.delete(poolId);
      return this.enterCarefully(actor, poolId);
    }
    const done = await repo.enterOnce(this.db, this.newEntry(cached, window.round, holder), this.clock.now());
    if (done?.outcome === 'prior') return { created: false, entry: entryView(done.entry as EntryRow) };
    if (done?.outcome === 'created') return { created: true, entry: entryView(done.entry as EntryRow) };
    if (done?.outcome === 'maxed') throw new HttpProblem('LIMIT_REACHED');
    this.entryPools.delete(poolId);
    return this.enterCarefully(actor, poolId);
  }

  /** Each check on its own, with a fresh pool row: the exact answer for every unusual case. */
  private async enterCarefully(actor: Actor, poolId: string): Promise<{ created: boolean; entry: LotteryEntry }> {
    const { pool, holder } = await this.lotteryPool(actor, poolId);
    if (!holder) throw new HttpProblem('NOT_ELIGIBLE', `This pool is for ${pool.audience === 'consumer' ? 'consumers' : 'enterprises'}`);
    const window = openRound(pool, this.clock.now());
    if (!window) throw new HttpProblem('LOTTERY_CLOSED', `The pool is ${pool.status} and takes no entries now`);
    const prior = await repo.findEntry(this.db, pool.id, window.round, holder.id);
    if (prior) return { created: false, entry: entryView(prior) };
    const eligibility = await this.pools.eligibilityOf(this.db, pool, holder);
    if (!eligibility.eligible) {
      throw new HttpProblem('NOT_ELIGIBLE', eligibility.reasons.filter((r) => !r.pass).map((r) => r.en).join('; '));
    }
    if (await repo.holdsMaximum(this.db, pool.id, holder.id)) throw new HttpProblem('LIMIT_REACHED');
    const inserted = await this.insertEntry(pool, window.round, holder);
    if (inserted) return { created: true, entry: entryView(inserted) };
    const raced = await repo.findEntry(this.db, pool.id, window.round, holder.id);
    if (raced) return { created: false, entry: entryView(raced) };
    throw new HttpProblem('LOTTERY_CLOSED', 'Entries for this round closed a moment ago');
  }

  private newEntry(pool: PoolRow, round: number, holder: Holder): repo.NewEntry {
    if (!pool.lottery_seed) throw new Error(`assertion: lottery pool ${pool.id} has no seed`);
    const id = randomUUID();
    return {
      id, poolId: pool.id, round, holderKind: holder.kind, holderId: holder.id, holderHash: holderHash(holder.id, pool.id),
      drawKey: drawKeyOf(pool.lottery_seed, id),
    };
  }

  private async insertEntry(pool: PoolRow, round: number, holder: Holder): Promise<EntryRow | null> {
    try {
      return await repo.insertEntry(this.db, this.newEntry(pool, round, holder), this.clock.now());
    } catch (err) {
      // The guard trigger refuses entries of a round sealed after our NOT EXISTS looked.
      if (pgErrorOf(err)?.code === PG_CHECK_VIOLATION) return null;
      throw err;
    }
  }

  private roundOf(pool: PoolRow, round: number | undefined): RoundWindow {
    if (round === undefined) return currentRound(pool, this.clock.now());
    const window = roundWindows(pool)[round];
    if (!window) throw new HttpProblem('NOT_FOUND', `The pool has no round ${round}`);
    return window;
  }

  /** The commitment, the round's status and counts, the caller's own entry; the seed once drawn. */
  async summary(actor: Actor, poolId: string, round?: number): Promise<LotterySummary> {
    const { pool, holder } = await this.lotteryPool(actor, poolId);
    const window = this.roundOf(pool, round);
    const draw = await repo.findDraw(this.db, pool.id, window.round);
    const mine = holder ? await repo.findEntry(this.db, pool.id, window.round, holder.id) : null;
    const isOpen = !draw && openRound(pool, this.clock.now())?.round === window.round;
    return {
      poolId: pool.id, seedHash: pool.lottery_seed_hash as string, seed: draw?.drawn_at ? pool.lottery_seed : null,
      round: window.round, roundsCount: roundWindows(pool).length,
      entriesOpenAt: window.opensAt.toISOString(), entriesCloseAt: window.closesAt.toISOString(),
      status: draw?.drawn_at ? 'drawn' : isOpen ? 'open' : 'closed',
      entriesCount: draw ? draw.entries_count : await repo.countEntries(this.db, pool.id, window.round),
      winnersMax: draw?.winners_max ?? null, winnersCount: draw?.winners_count ?? null, drawnAt: draw?.drawn_at ?? null,
      myEntry: mine ? entryView(mine, !!draw?.selected_at) : null,
    };
  }

  /** The published entrant list of a drawn round: entry ids, hashed holders, results; paged by entry id. */
  async entries(
    actor: Actor, poolId: string, q: { round?: number; limit: number; cursor?: string; result?: 'won' | 'lost' },
  ): Promise<{ items: PublishedEntry[]; nextCursor: string | null }> {
    const { pool } = await this.lotteryPool(actor, poolId);
    const window = this.roundOf(pool, q.round);
    const draw = await repo.findDraw(this.db, pool.id, window.round);
    if (!draw?.drawn_at) throw new HttpProblem('LOTTERY_NOT_DRAWN', `Round ${window.round} is not drawn yet`);
    const rows = await repo.listEntries(this.db, pool.id, window.round, {
      limit: q.limit, ...(q.cursor ? { afterId: q.cursor } : {}), ...(q.result ? { result: q.result } : {}),
    });
    const last = rows[rows.length - 1];
    return {
      items: rows.map((e) => ({ entryId: e.id, holderHash: e.holder_hash, result: e.result === 'won' ? 'won' as const : 'lost' as const })),
      nextCursor: rows.length === q.limit && last ? last.id : null,
    };
  }

  // ---- the draw ----

  /** Job step: draws every round whose entries have closed, oldest first; a failing round does not block the others. */
  async drawDue(): Promise<DrawRunResult> {
    const due = await repo.dueRounds(this.db, this.clock.now(), DUE_ROUNDS_MAX);
    const total: DrawRunResult = { draws: 0, entries: 0, winners: 0, issued: 0, forfeited: 0 };
    const failures: string[] = [];
    for (const { pool_id: poolId, round } of due) {
      try {
        const r = await this.drawRound(poolId, round);
        total.draws++; total.entries += r.entries; total.winners += r.winners; total.issued += r.issued; total.forfeited += r.forfeited;
      } catch (err) {
        failures.push(`${poolId}/${round}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`lottery draw failed for ${failures.length} round(s) (${total.draws} drawn): ${failures.join('; ')}`);
    return total;
  }

  /** Draws one round to the end, resuming after whichever step a crashed run completed. */
  async drawRound(poolId: string, round: number): Promise<DrawReport> {
    const sealed = (await repo.findDraw(this.db, poolId, round)) ?? (await this.seal(poolId, round));
    const selected = sealed.selected_at ? sealed : await this.selectWinners(poolId, round);
    const winners = selected.winners_count as number;
    // The wins are ranked 1…winners; batch k issues ranks k·B+1 … (k+1)·B. With more than one
    // batch, the workers take the next batch number in turn, so their batches are disjoint and
    // they meet only at the pool row's one conditional UPDATE, each batch's last statement:
    // their inserts run side by side. A batch done by an earlier run finds nothing left to
    // issue. A failed batch stops the others after their current one.
    const batches = Math.ceil(winners / this.issueBatchMax);
    const workers = Math.max(1, Math.min(ISSUE_WORKERS, batches));
    let next = 0;
    let failed = false;
    await Promise.all(Array.from({ length: workers }, async () => {
      try {
        while (!failed && next < batches) {
          const k = next++;
          await this.issueBatch(poolId, round, k * this.issueBatchMax + 1, Math.min(winners, (k + 1) * this.issueBatchMax));
        }
      } catch (err) {
        failed = true;
        throw err;
      }
    }));
    const tally = await this.finish(poolId, round);
    return { poolId, round, entries: selected.entries_count, winners, ...tally };
  }

  /** Freezes the entrant list and fixes how many can win: floor(the round's share of available ÷ voucher amount). */
  private async seal(poolId: string, round: number): Promise<DrawRow> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      await repo.lockEntriesTable(tx);
      const pool = await repo.lockPool(tx, poolId);
      if (!pool) throw new Error(`assertion: lottery pool ${poolId} vanished`);
      const shareFen = roundShareFen(pool, round, pool.available_fen);
      const sealed = await repo.insertDraw(tx, {
        poolId, round, entriesCount: await repo.countEntries(tx, poolId, round), availableFen: pool.available_fen, shareFen,
        amountFen: pool.amount_fen, winnersMax: Math.floor(shareFen / pool.amount_fen),
      }, now);
      return sealed ?? (await repo.findDraw(tx, poolId, round) as DrawRow);
    });
  }

  /** Writes the entries with the smallest HMAC-SHA256(seed, entryId) as the round's wins, ranked in SQL. */
  private async selectWinners(poolId: string, round: number): Promise<DrawRow> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const draw = await repo.findDraw(tx, poolId, round, true);
      if (!draw) throw new Error(`assertion: draw ${poolId}/${round} is not sealed`);
      if (draw.selected_at) return draw;
      const pool = await repo.findPool(tx, poolId);
      if (!pool?.lottery_seed) throw new Error(`assertion: lottery pool ${poolId} has no seed`);
      const pads = hmacPads(pool.lottery_seed);
      await tx.query(sql`SELECT set_config('work_mem', ${DRAW_WORK_MEM}, true)`);
      await repo.fillDrawKeys(tx, poolId, round, pads);
      const { marked, wrongKeys } = await repo.markWinners(tx, poolId, round, draw.winners_max, pads);
      const expected = Math.min(draw.winners_max, draw.entries_count);
      if (marked !== expected) throw new Error(`assertion: draw ${poolId}/${round} marked ${marked} winners, expected ${expected}`);
      if (wrongKeys.length > 0) throw new Error(`assertion: draw ${poolId}/${round}: stored draw keys of ${wrongKeys.join(', ')} are not HMAC(seed, id)`);
      // the issue step's statements are planned on this table: let the planner see its new rows
      await repo.analyzeWins(tx);
      return repo.markSelected(tx, poolId, round, marked, now);
    });
  }

  /**
   * Issues vouchers to the wins ranked `fromRank`…`toRank` in one transaction: in bulk
   * (VouchersService.issueMany, one statement per step for the whole batch), or one by one for
   * a few. A win that a holder limit or the budget refuses is forfeited with that problem code;
   * anything else rolls the batch back, to be retried by the next run. Returns how many wins it settled.
   */
  private async issueBatch(poolId: string, round: number, fromRank: number, toRank: number): Promise<number> {
    const now = this.clock.now();
    return this.issueBatchOnce(poolId, round, fromRank, toRank, now, true).catch((err: unknown) => {
      if (err instanceof BatchDoesNotFit) return this.issueBatchOnce(poolId, round, fromRank, toRank, now, false);
      throw err;
    });
  }

  /**
   * One try: `reserveLast` takes the whole batch's amount with the last statement (the draw
   * sized the winners to the round's share, so it fits unless the budget shrank meanwhile;
   * then BatchDoesNotFit rolls it back and the careful try reserves first, as many as fit).
   */
  private async issueBatchOnce(
    poolId: string, round: number, fromRank: number, toRank: number, now: Date, reserveLast: boolean,
  ): Promise<number> {
    return this.db.transaction(async (tx) => {
      const wins = await repo.winsToIssue(tx, poolId, round, fromRank, toRank);
      if (wins.length === 0) return 0;
      const pool = await repo.findPool(tx, poolId);
      if (!pool) throw new Error(`assertion: lottery pool ${poolId} vanished`);
      if (wins.length >= BULK_ISSUE_MIN) {
        // the outcomes are recorded before the pool's reserve, the batch's last statement (`record`)
        await this.vouchers.issueMany(tx, pool, wins.map((w) => ({
          holder: { kind: w.holder_kind, id: w.holder_id }, sourceRef: w.entry_id,
        })), now, {
          source: 'lottery', openOnly: false, reserveLast,
          record: (issued: IssueOutcome[]) => repo.recordWinOutcomes(tx, poolId, round, fromRank, toRank, wins.map((w, i) => ({
            rank: w.rank, voucherId: issued[i]?.voucher?.id ?? null, forfeitCode: issued[i]?.problem ?? null,
          }))),
        });
        return wins.length;
      }
      const outcomes: repo.WinOutcome[] = [];
      for (const win of wins) outcomes.push(await this.issueWin(tx, pool, win, now));
      await repo.recordWinOutcomes(tx, poolId, round, fromRank, toRank, outcomes);
      return outcomes.length;
    });
  }

  private async issueWin(tx: Queryable, pool: PoolRow, win: WinRow, now: Date): Promise<repo.WinOutcome> {
    await tx.query(sql`SAVEPOINT lottery_win`);
    try {
      const voucher = await this.vouchers.issueOne(tx, pool, {
        holder: { kind: win.holder_kind, id: win.holder_id }, source: 'lottery', sourceRef: win.entry_id,
      }, now);
      await tx.query(sql`RELEASE SAVEPOINT lottery_win`);
      return { rank: win.rank, voucherId: voucher.id, forfeitCode: null };
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err;
      await tx.query(sql`ROLLBACK TO SAVEPOINT lottery_win`);
      await tx.query(sql`RELEASE SAVEPOINT lottery_win`);
      return { rank: win.rank, voucherId: null, forfeitCode: err.code };
    }
  }

  /** Marks the round drawn and audits it, in one transaction; the pool is drawn when its last round is. */
  private async finish(poolId: string, round: number): Promise<{ issued: number; forfeited: number }> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const tally = await repo.winTally(tx, poolId, round);
      const drawn = await repo.markDrawn(tx, poolId, round, now);
      if (!drawn) {
        if ((await repo.findDraw(tx, poolId, round))?.drawn_at) return tally;
        throw new Error(`assertion: draw ${poolId}/${round} still has undecided entries`);
      }
      const pool = await repo.findPool(tx, poolId);
      if (!pool) throw new Error(`assertion: lottery pool ${poolId} vanished`);
      await this.audit.record(tx, {
        actorUserId: null, orgId: pool.issuer_id, action: 'lottery.drawn', targetType: 'pool', targetId: poolId,
        summary: {
          round, seedHash: pool.lottery_seed_hash, entries: drawn.entries_count, availableFen: drawn.available_fen,
          shareFen: drawn.share_fen, amountFen: drawn.amount_fen, winnersMax: drawn.winners_max, winners: drawn.winners_count, ...tally,
        },
      });
      if ((await repo.drawnRoundsCount(tx, poolId)) === roundWindows(pool).length) await repo.markPoolDrawn(tx, poolId, now);
      return tally;
    });
  }
}
