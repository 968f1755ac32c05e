/** SQL of lottery entries and draws; the draw ranks entries by HMAC-SHA256(seed, entry id) in SQL. */
import { sql, type Queryable, type SQL } from '../../platform/db';
import type { PoolRow } from '../pools';
import type { HmacPads } from './draw-key';

export interface EntryRow {
  id: string; pool_id: string; round: number; holder_kind: 'enterprise' | 'consumer'; holder_id: string;
  holder_hash: string; entered_at: string; result: 'won' | 'lost' | null; voucher_id: string | null;
  forfeit_code: string | null; decided_at: string | null;
}

export interface DrawRow {
  pool_id: string; round: number; entries_count: number; available_fen: number; share_fen: number; amount_fen: number;
  winners_max: number; winners_count: number | null; sealed_at: string; selected_at: string | null; drawn_at: string | null;
}

export interface NewEntry {
  id: string; poolId: string; round: number; holderKind: 'enterprise' | 'consumer'; holderId: string; holderHash: string;
  /** HMAC-SHA256(seed, id): the draw ranks entries by it */
  drawKey: Buffer;
}

const ENTRY_COLUMNS = sql`id, pool_id, round, holder_kind, holder_id, holder_hash, entered_at, result, voucher_id, forfeit_code, decided_at`;

/** HMAC-SHA256(seed, e.id::text) as bytea, from the key pads: sha256(outer ‖ sha256(inner ‖ message)). */
export function drawKeySql(pads: HmacPads, entryId: SQL = sql`e.id`): SQL {
  return sql`sha256(decode(${pads.outerHex}, 'hex') || sha256(decode(${pads.innerHex}, 'hex') || convert_to(${entryId}::text, 'UTF8')))`;
}

/**
 * A lottery pool row without an actor (the draw job has none). The lottery owns the pool's
 * lottery_* columns; everything else of the row it only reads.
 */
export async function findPool(q: Queryable, poolId: string): Promise<PoolRow | null> {
  const rows = await q.query<PoolRow>(sql`SELECT * FROM pools WHERE id = ${poolId} AND distribution = 'lottery'`);
  return rows[0] ?? null;
}

/** Inserts unless the holder already entered this round or the round is sealed; null then. */
export async function insertEntry(q: Queryable, e: NewEntry, at: Date): Promise<EntryRow | null> {
  const rows = await q.query<EntryRow>(sql`
    INSERT INTO lottery_entries (id, pool_id, round, holder_kind, holder_id, holder_hash, draw_key, entered_at)
    SELECT ${e.id}::uuid, ${e.poolId}::uuid, ${e.round}::int, ${e.holderKind}, ${e.holderId}::uuid, ${e.holderHash},
           decode(${e.drawKey.toString('hex')}, 'hex'), ${at.toISOString()}::timestamptz
    WHERE NOT EXISTS (SELECT 1 FROM lottery_draws d WHERE d.pool_id = ${e.poolId} AND d.round = ${e.round})
    ON CONFLICT (pool_id, round, holder_id) DO NOTHING
    RETURNING ${ENTRY_COLUMNS}`);
  return rows[0] ?? null;
}

/**
 * The entry path in ONE statement, while the pool is scheduled or open: the holder's entry
 * of this round if there is one ('prior'), else 'maxed' when the holder already holds the
 * pool's maximum, else the new entry ('created') unless the round is sealed. No row: none of
 * these (not open, sealed, or a concurrent duplicate).
 */
export async function enterOnce(
  q: Queryable, e: NewEntry, at: Date,
): Promise<{ outcome: 'prior' | 'created' | 'maxed'; entry: EntryRow | null } | null> {
  const rows = await q.query<EntryRow & { outcome: 'prior' | 'created' | 'maxed' }>(sql`
    WITH open AS (
      SELECT 1 FROM pools p WHERE p.id = ${e.poolId} AND p.status IN ('scheduled', 'open')
    ), prior AS (
      SELECT ${ENTRY_COLUMNS} FROM lottery_entries
      WHERE pool_id = ${e.poolId} AND round = ${e.round} AND holder_id = ${e.holderId} AND EXISTS (SELECT 1 FROM open)
    ), maxed AS (
      SELECT 1 FROM holder_pool_counters
      WHERE pool_id = ${e.poolId} AND holder_id = ${e.holderId} AND claimed >= max_claims AND EXISTS (SELECT 1 FROM open)
    ), ins AS (
      INSERT INTO lottery_entries (id, pool_id, round, holder_kind, holder_id, holder_hash, draw_key, entered_at)
      SELECT ${e.id}::uuid, ${e.poolId}::uuid, ${e.round}::int, ${e.holderKind}, ${e.holderId}::uuid, ${e.holderHash},
             decode(${e.drawKey.toString('hex')}, 'hex'), ${at.toISOString()}::timestamptz
      WHERE NOT EXISTS (SELECT 1 FROM prior) AND NOT EXISTS (SELECT 1 FROM maxed)
        AND EXISTS (SELECT 1 FROM open)
        AND NOT EXISTS (SELECT 1 FROM lottery_draws d WHERE d.pool_id = ${e.poolId} AND d.round = ${e.round})
      ON CONFLICT (pool_id, round, holder_id) DO NOTHING
      RETURNING ${ENTRY_COLUMNS}
    )
    SELECT 'prior' AS outcome, * FROM prior
    UNION ALL SELECT 'created', * FROM ins
    UNION ALL SELECT 'maxed', NULL::uuid, NULL::uuid, NULL::int, NULL::text, NULL::uuid, NULL::text, NULL::timestamptz,
                     NULL::text, NULL::uuid, NULL::text, NULL::timestamptz FROM maxed WHERE NOT EXISTS (SELECT 1 FROM prior)`);
  const row = rows.find((r) => r.outcome === 'prior') ?? rows.find((r) => r.outcome === 'created') ?? rows[0];
  if (!row) return null;
  const { outcome, ...entry } = row;
  return { outcome, entry: outcome === 'maxed' ? null : (entry as EntryRow) };
}

export type EntryOutcome = 'prior' | 'created' | 'maxed';

/**
 * enterOnce for many holders of one pool round in ONE statement (the entry batcher): per
 * holder its entry of this round ('prior'), else 'maxed', else the new entry ('created')
 * unless the round is sealed. A holder with no row answers through the careful path, as
 * with enterOnce. The holders must be distinct.
 */
export async function enterMany(
  q: Queryable, poolId: string, round: number, entries: NewEntry[], at: Date,
): Promise<Map<string, { outcome: EntryOutcome; entry: EntryRow | null }>> {
  const out = new Map<string, { outcome: EntryOutcome; entry: EntryRow | null }>();
  if (entries.length === 0) return out;
  const rows = await q.query<EntryRow & { outcome: EntryOutcome; maxed_holder: string | null }>(sql`
    WITH open AS (
      SELECT 1 FROM pools p WHERE p.id = ${poolId} AND p.status IN ('scheduled', 'open')
    ), req AS (
      SELECT * FROM unnest(${`{${entries.map((e) => e.id).join(',')}}`}::uuid[], ${`{${entries.map((e) => e.holderKind).join(',')}}`}::text[],
        ${`{${entries.map((e) => e.holderId).join(',')}}`}::uuid[], ${`{${entries.map((e) => e.holderHash).join(',')}}`}::text[],
        ${`{${entries.map((e) => e.drawKey.toString('hex')).join(',')}}`}::text[]) AS r(id, holder_kind, holder_id, holder_hash, draw_key_hex)
      WHERE EXISTS (SELECT 1 FROM open)
    ), prior AS (
      SELECT e.* FROM lottery_entries e JOIN req r ON e.pool_id = ${poolId} AND e.round = ${round} AND e.holder_id = r.holder_id
    ), maxed AS (
      SELECT c.holder_id FROM holder_pool_counters c JOIN req r ON c.pool_id = ${poolId} AND c.holder_id = r.holder_id
      WHERE c.claimed >= c.max_claims AND NOT EXISTS (SELECT 1 FROM prior p WHERE p.holder_id = c.holder_id)
    ), ins AS (
      INSERT INTO lottery_entries (id, pool_id, round, holder_kind, holder_id, holder_hash, draw_key, entered_at)
      SELECT r.id, ${poolId}::uuid, ${round}::int, r.holder_kind, r.holder_id, r.holder_hash, decode(r.draw_key_hex, 'hex'), ${at.toISOString()}::timestamptz
      FROM req r
      WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.holder_id = r.holder_id) AND NOT EXISTS (SELECT 1 FROM maxed m WHERE m.holder_id = r.holder_id)
        AND NOT EXISTS (SELECT 1 FROM lottery_draws d WHERE d.pool_id = ${poolId} AND d.round = ${round})
      ORDER BY r.holder_id
      ON CONFLICT (pool_id, round, holder_id) DO NOTHING
      RETURNING ${ENTRY_COLUMNS}
    )
    SELECT 'prior' AS outcome, NULL::uuid AS maxed_holder, ${ENTRY_COLUMNS} FROM prior
    UNION ALL SELECT 'created', NULL::uuid, * FROM ins
    UNION ALL SELECT 'maxed', holder_id, NULL::uuid, NULL::uuid, NULL::int, NULL::text, NULL::uuid, NULL::text, NULL::timestamptz,
                     NULL::text, NULL::uuid, NULL::text, NULL::timestamptz FROM maxed`);
  for (const { outcome, maxed_holder: maxedHolder, ...entry } of rows) {
    if (outcome === 'maxed') out.set(maxedHolder as string, { outcome, entry: null });
    else out.set(entry.holder_id, { outcome, entry: entry as EntryRow });
  }
  return out;
}

/**
 * An entry with its win, if any: a win lives in lottery_wins (migration 0013); an older round
 * may carry an explicit 'lost' on the entry.
 */
const ENTRY_WITH_WIN = sql`e.id, e.pool_id, e.round, e.holder_kind, e.holder_id, e.holder_hash, e.entered_at,
  CASE WHEN w.entry_id IS NOT NULL THEN 'won' ELSE e.result END AS result, w.voucher_id, w.forfeit_code, e.decided_at
  FROM lottery_entries e LEFT JOIN lottery_wins w ON w.pool_id = e.pool_id AND w.round = e.round AND w.entry_id = e.id`;

export async function findEntry(q: Queryable, poolId: string, round: number, holderId: string): Promise<EntryRow | null> {
  const rows = await q.query<EntryRow>(sql`SELECT ${ENTRY_WITH_WIN}
    WHERE e.pool_id = ${poolId} AND e.round = ${round} AND e.holder_id = ${holderId}`);
  return rows[0] ?? null;
}

/**
 * Whether the holder already holds the most vouchers the pool allows. A courtesy check at
 * entry, so a win is not wasted; the limit itself is enforced when the voucher is issued.
 */
export async function holdsMaximum(q: Queryable, poolId: string, holderId: string): Promise<boolean> {
  const rows = await q.query(sql`SELECT 1 FROM holder_pool_counters
    WHERE pool_id = ${poolId} AND holder_id = ${holderId} AND claimed >= max_claims`);
  return rows.length > 0;
}

export async function countEntries(q: Queryable, poolId: string, round: number): Promise<number> {
  const [row] = await q.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_entries
    WHERE pool_id = ${poolId} AND round = ${round}`);
  return row?.n ?? 0;
}

export async function findDraw(q: Queryable, poolId: string, round: number, lock = false): Promise<DrawRow | null> {
  const rows = await q.query<DrawRow>(sql`SELECT * FROM lottery_draws WHERE pool_id = ${poolId} AND round = ${round}
    ${lock ? sql`FOR UPDATE` : sql``}`);
  return rows[0] ?? null;
}

export async function lockPool(tx: Queryable, poolId: string): Promise<PoolRow | null> {
  const rows = await tx.query<PoolRow>(sql`SELECT * FROM pools WHERE id = ${poolId} AND distribution = 'lottery' FOR UPDATE`);
  return rows[0] ?? null;
}

/**
 * Waits for every entry insert in flight and blocks new ones until the caller commits, so
 * that the entries a seal counts are all the entries the round will ever have.
 */
export async function lockEntriesTable(tx: Queryable): Promise<void> {
  await tx.query(sql`LOCK TABLE lottery_entries IN SHARE MODE`);
}

export interface SealValues {
  poolId: string; round: number; entriesCount: number; availableFen: number; shareFen: number; amountFen: number;
  winnersMax: number;
}

export async function insertDraw(tx: Queryable, v: SealValues, at: Date): Promise<DrawRow | null> {
  const rows = await tx.query<DrawRow>(sql`
    INSERT INTO lottery_draws (pool_id, round, entries_count, available_fen, share_fen, amount_fen, winners_max, sealed_at)
    VALUES (${v.poolId}, ${v.round}, ${v.entriesCount}, ${v.availableFen}, ${v.shareFen}, ${v.amountFen}, ${v.winnersMax},
            ${at.toISOString()})
    ON CONFLICT (pool_id, round) DO NOTHING RETURNING *`);
  return rows[0] ?? null;
}

/** Stores the draw key, computed in SQL, of entries made without one (before migration 0009); returns how many. */
export async function fillDrawKeys(tx: Queryable, poolId: string, round: number, pads: HmacPads): Promise<number> {
  const [row] = await tx.query<{ n: number }>(sql`
    WITH filled AS (
      UPDATE lottery_entries e SET draw_key = ${drawKeySql(pads)}
      WHERE e.pool_id = ${poolId} AND e.round = ${round} AND e.draw_key IS NULL RETURNING 1)
    SELECT count(*)::int AS n FROM filled`);
  return row?.n ?? 0;
}

/**
 * Writes the `n` entries with the smallest stored draw keys (read off the index in key order)
 * as the round's wins, ranked 1…n, straight from the entry rows it read (so each win names
 * an entry of the round with that entry's holder); the entries are not touched. In the same
 * pass it checks each winner's stored key against HMAC-SHA256(seed, id) computed in SQL (the
 * server computed the keys at entry) and returns up to 10 winners whose key does not match.
 */
export async function markWinners(
  tx: Queryable, poolId: string, round: number, n: number, pads: HmacPads,
): Promise<{ marked: number; wrongKeys: string[] }> {
  const [row] = await tx.query<{ marked: number; wrong: string[] | null }>(sql`
    WITH s AS MATERIALIZED (
      SELECT e.id, e.draw_key, e.holder_kind, e.holder_id, row_number() OVER (ORDER BY e.draw_key, e.id) AS rank
      FROM lottery_entries e WHERE e.pool_id = ${poolId} AND e.round = ${round}
      ORDER BY e.draw_key, e.id LIMIT ${n}
    ), marked AS (
      INSERT INTO lottery_wins (pool_id, round, rank, entry_id, holder_kind, holder_id)
      SELECT ${poolId}::uuid, ${round}::int, s.rank, s.id, s.holder_kind, s.holder_id FROM s
      RETURNING 1)
    SELECT (SELECT count(*)::int FROM marked) AS marked,
           (SELECT array_agg(x.id) FROM (SELECT s.id FROM s WHERE s.draw_key IS DISTINCT FROM ${drawKeySql(pads, sql`s.id`)} LIMIT 10) x) AS wrong`);
  return { marked: row?.marked ?? 0, wrongKeys: row?.wrong ?? [] };
}

/** Fresh planner statistics for lottery_wins (in the selecting transaction, they count its own new rows). */
export async function analyzeWins(tx: Queryable): Promise<void> {
  await tx.query(sql`ANALYZE lottery_wins`);
}

export async function markSelected(tx: Queryable, poolId: string, round: number, winnersCount: number, at: Date): Promise<DrawRow> {
  const rows = await tx.query<DrawRow>(sql`UPDATE lottery_draws SET winners_count = ${winnersCount}, selected_at = ${at.toISOString()}
    WHERE pool_id = ${poolId} AND round = ${round} AND selected_at IS NULL RETURNING *`);
  if (!rows[0]) throw new Error(`assertion: draw ${poolId}/${round} was selected twice`);
  return rows[0];
}

export interface WinRow {
  rank: number; entry_id: string; holder_kind: 'enterprise' | 'consumer'; holder_id: string;
}

/**
 * The wins ranked `fromRank`…`toRank` that have neither a voucher nor a forfeit yet, locked
 * for this transaction; wins another issuing transaction holds are skipped.
 */
export async function winsToIssue(tx: Queryable, poolId: string, round: number, fromRank: number, toRank: number): Promise<WinRow[]> {
  return tx.query<WinRow>(sql`SELECT rank, entry_id, holder_kind, holder_id FROM lottery_wins
    WHERE pool_id = ${poolId} AND round = ${round} AND rank BETWEEN ${fromRank} AND ${toRank}
      AND voucher_id IS NULL AND forfeit_code IS NULL
    ORDER BY rank FOR UPDATE SKIP LOCKED`);
}

export interface WinOutcome {
  rank: number;
  voucherId: string | null;
  forfeitCode: string | null;
}

/** Records each win's voucher or forfeit; the wins lie in ranks `fromRank`…`toRank` (which bounds the scan whatever the plan). */
export async function recordWinOutcomes(
  tx: Queryable, poolId: string, round: number, fromRank: number, toRank: number, outcomes: WinOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const p = sql.param;
  const [row] = await tx.query<{ n: number }>(sql`
    WITH done AS (
      UPDATE lottery_wins w SET voucher_id = o.voucher_id, forfeit_code = o.forfeit_code
      FROM unnest(${p(outcomes.map((o) => o.rank))}::int[], ${p(outcomes.map((o) => o.voucherId))}::uuid[],
                  ${p(outcomes.map((o) => o.forfeitCode))}::text[]) AS o (rank, voucher_id, forfeit_code)
      WHERE w.pool_id = ${poolId} AND w.round = ${round} AND w.rank BETWEEN ${fromRank} AND ${toRank} AND w.rank = o.rank
        AND w.voucher_id IS NULL AND w.forfeit_code IS NULL RETURNING 1)
    SELECT count(*)::int AS n FROM done`);
  const n = row?.n ?? 0;
  if (n !== outcomes.length) throw new Error(`assertion: ${outcomes.length - n} win(s) were already recorded`);
}

/**
 * Marks the round drawn once its winners are selected and every win is issued or forfeited;
 * null otherwise. The other entries have lost: they keep no result (see migration 0009).
 */
export async function markDrawn(tx: Queryable, poolId: string, round: number, at: Date): Promise<DrawRow | null> {
  const rows = await tx.query<DrawRow>(sql`UPDATE lottery_draws SET drawn_at = ${at.toISOString()}
    WHERE pool_id = ${poolId} AND round = ${round} AND drawn_at IS NULL AND selected_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM lottery_wins w WHERE w.pool_id = ${poolId} AND w.round = ${round}
        AND w.voucher_id IS NULL AND w.forfeit_code IS NULL)
    RETURNING *`);
  return rows[0] ?? null;
}

export async function winTally(q: Queryable, poolId: string, round: number): Promise<{ issued: number; forfeited: number }> {
  const [row] = await q.query<{ issued: number; forfeited: number }>(sql`
    SELECT count(*) FILTER (WHERE voucher_id IS NOT NULL)::int AS issued,
           count(*) FILTER (WHERE forfeit_code IS NOT NULL)::int AS forfeited
    FROM lottery_wins WHERE pool_id = ${poolId} AND round = ${round}`);
  return row ?? { issued: 0, forfeited: 0 };
}

export async function drawnRoundsCount(q: Queryable, poolId: string): Promise<number> {
  const [row] = await q.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM lottery_draws
    WHERE pool_id = ${poolId} AND drawn_at IS NOT NULL`);
  return row?.n ?? 0;
}

export async function markPoolDrawn(tx: Queryable, poolId: string, at: Date): Promise<void> {
  await tx.query(sql`UPDATE pools SET lottery_drawn_at = ${at.toISOString()}, updated_at = ${at.toISOString()}
    WHERE id = ${poolId} AND lottery_drawn_at IS NULL`);
}

/**
 * Rounds whose entries have closed and that are not drawn yet, oldest first: of funded
 * lottery pools that are scheduled, open or closed (a paused pool's draw waits for it to resume).
 */
export async function dueRounds(q: Queryable, now: Date, limit: number): Promise<{ pool_id: string; round: number }[]> {
  return q.query(sql`
    SELECT p.id AS pool_id, r.round
    FROM pools p
    CROSS JOIN LATERAL (
      SELECT (o.idx - 1)::int AS round, (o.elem ->> 'closesAt')::timestamptz AS closes_at
      FROM jsonb_array_elements(p.rounds) WITH ORDINALITY AS o (elem, idx)
      UNION ALL
      SELECT 0, p.claim_closes_at WHERE jsonb_array_length(p.rounds) = 0
    ) r
    WHERE p.distribution = 'lottery' AND p.funded AND p.lottery_seed IS NOT NULL AND p.lottery_drawn_at IS NULL
      AND p.status IN ('scheduled', 'open', 'closed') AND r.closes_at <= ${now.toISOString()}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM lottery_draws d WHERE d.pool_id = p.id AND d.round = r.round AND d.drawn_at IS NOT NULL)
    ORDER BY r.closes_at, p.id, r.round
    LIMIT ${limit}`);
}

export async function listEntries(
  q: Queryable, poolId: string, round: number, f: { afterId?: string; result?: 'won' | 'lost'; limit: number },
): Promise<EntryRow[]> {
  const after = f.afterId ? sql`e.id > ${f.afterId}::uuid` : sql`TRUE`;
  if (f.result === 'won') {
    // the winners only: paged off lottery_wins' (pool, round, entry) key, not through every entry
    return q.query<EntryRow>(sql`SELECT ${ENTRY_WITH_WIN}
      WHERE w.pool_id = ${poolId} AND w.round = ${round} AND ${f.afterId ? sql`w.entry_id > ${f.afterId}::uuid` : sql`TRUE`}
      ORDER BY w.entry_id LIMIT ${f.limit}`);
  }
  // a drawn round's entries without a win lost (older rounds may carry an explicit 'lost')
  const result = f.result === 'lost' ? sql`w.entry_id IS NULL` : sql`TRUE`;
  return q.query<EntryRow>(sql`SELECT ${ENTRY_WITH_WIN}
    WHERE e.pool_id = ${poolId} AND e.round = ${round} AND ${after} AND ${result}
    ORDER BY e.id LIMIT ${f.limit}`);
}
