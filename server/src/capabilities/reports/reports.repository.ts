/**
 * SQL of the reports. One statement, `dailyRows`, counts a range of Asia/Shanghai days from the
 * base tables (vouchers, redemptions, reversals) in report_daily's shape; the rollup job stores
 * its output for closed days, and reports count days after the rollup's last day with the same
 * statement, so both halves always agree. Balances come from the ledger's rollups.
 */
import { sql, type Queryable, type SQL } from '../../platform/db';
import { addDays, shanghaiDayStart, SIGNAL_THRESHOLDS as T } from '@hqt/shared';

export const NIL_MERCHANT = '00000000-0000-0000-0000-000000000000';

/** Which pools (and, for redemption figures, which merchants) a report covers. */
export interface ReportScope {
  issuerIds: string[] | 'all';
  poolId?: string;
  kind?: string;
  district?: string;
  category?: string;
}

function uuidList(ids: string[]): SQL {
  return sql.join(ids.map((i) => sql`${i}::uuid`), sql`, `);
}

/** The ids of the pools in scope, as a subquery. */
export function poolsInScope(s: ReportScope): SQL {
  const where: SQL[] = [sql`TRUE`];
  if (s.issuerIds !== 'all') where.push(s.issuerIds.length > 0 ? sql`issuer_id IN (${uuidList(s.issuerIds)})` : sql`FALSE`);
  if (s.poolId) where.push(sql`id = ${s.poolId}::uuid`);
  if (s.kind) where.push(sql`kind = ${s.kind}`);
  return sql`(SELECT id FROM pools WHERE ${sql.join(where, sql` AND `)})`;
}

function hasMerchantFilter(s: ReportScope): boolean {
  return Boolean(s.district || s.category);
}

/** Rows of merchants matching the district/category filters; pool-level rows (nil merchant) always pass. */
function merchantFilter(s: ReportScope, alias: SQL): SQL {
  if (!hasMerchantFilter(s)) return sql`TRUE`;
  const where: SQL[] = [sql`type = 'merchant'`];
  if (s.district) where.push(sql`district = ${s.district}`);
  if (s.category) where.push(sql`${s.category} = ANY (categories)`);
  return sql`(${alias}.merchant_id = ${NIL_MERCHANT}::uuid OR ${alias}.merchant_id IN (SELECT id FROM organisations WHERE ${sql.join(where, sql` AND `)}))`;
}

const day = (col: SQL) => sql`((${col}) AT TIME ZONE 'UTC' + interval '8 hours')::date`;
const NIGHT_END = sql.raw(String(T.nightEndHour));
const BAND = sql.raw(String(10_000 + T.thresholdBandBp));

export const DAILY_COLUMNS = sql.raw(`day, pool_id, merchant_id, vouchers_issued, issued_fen, vouchers_expired, redemptions,
  discount_fen, order_fen, reversals, reversed_discount_fen, reversed_order_fen, night_redemptions, threshold_orders,
  near_threshold_orders`);

const POOL_COLUMNS = sql.raw(`day, pool_id, vouchers_issued, issued_fen, vouchers_expired, redemptions, discount_fen, order_fen,
  reversals, reversed_discount_fen, reversed_order_fen, night_redemptions, threshold_orders, near_threshold_orders`);
const POOL_COLUMNS_AFTER_POOL = sql.raw(`vouchers_issued, issued_fen, vouchers_expired, redemptions, discount_fen, order_fen,
  reversals, reversed_discount_fen, reversed_order_fen, night_redemptions, threshold_orders, near_threshold_orders`);
const POOL_SUMS = sql.raw(`sum(vouchers_issued), sum(issued_fen), sum(vouchers_expired), sum(redemptions), sum(discount_fen),
  sum(order_fen), sum(reversals), sum(reversed_discount_fen), sum(reversed_order_fen), sum(night_redemptions), sum(threshold_orders),
  sum(near_threshold_orders)`);

/**
 * The daily figures of the days from `fromDay` to `toDay` (inclusive), per pool × merchant ×
 * day, counted from the base tables; `pools` limits them (a subquery of pool ids).
 */
export function dailyRows(fromDay: string, toDay: string, pools: SQL): SQL {
  const s = shanghaiDayStart(fromDay).toISOString();
  const e = shanghaiDayStart(addDays(toDay, 1)).toISOString();
  return sql`
    SELECT day, pool_id, merchant_id,
           sum(vi)::int AS vouchers_issued, sum(ifen)::bigint AS issued_fen, sum(ve)::int AS vouchers_expired,
           sum(rc)::int AS redemptions, sum(dfen)::bigint AS discount_fen, sum(ofen)::bigint AS order_fen,
           sum(xc)::int AS reversals, sum(xdfen)::bigint AS reversed_discount_fen, sum(xofen)::bigint AS reversed_order_fen,
           sum(nc)::int AS night_redemptions, sum(tc)::int AS threshold_orders, sum(ntc)::int AS near_threshold_orders
    FROM (
      SELECT ${day(sql`v.issued_at`)} AS day, v.pool_id, ${NIL_MERCHANT}::uuid AS merchant_id, 1 AS vi, v.amount_fen AS ifen,
             0 AS ve, 0 AS rc, 0::bigint AS dfen, 0::bigint AS ofen, 0 AS xc, 0::bigint AS xdfen, 0::bigint AS xofen,
             0 AS nc, 0 AS tc, 0 AS ntc
      FROM vouchers v WHERE v.issued_at >= ${s} AND v.issued_at < ${e} AND v.pool_id IN ${pools}
      UNION ALL
      SELECT ${day(sql`v.updated_at`)}, v.pool_id, ${NIL_MERCHANT}::uuid, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM vouchers v WHERE v.status = 'expired' AND v.updated_at >= ${s} AND v.updated_at < ${e} AND v.pool_id IN ${pools}
      UNION ALL
      SELECT ${day(sql`r.posted_at`)}, r.pool_id, r.merchant_id, 0, 0, 0, 1, r.discount_fen, r.order_amount_fen, 0, 0, 0,
             CASE WHEN extract(hour FROM r.posted_at AT TIME ZONE 'UTC' + interval '8 hours') < ${NIGHT_END} THEN 1 ELSE 0 END,
             CASE WHEN p.value_type = 'fixed' AND p.min_spend_fen > 0 THEN 1 ELSE 0 END,
             CASE WHEN p.value_type = 'fixed' AND p.min_spend_fen > 0
                   AND r.order_amount_fen * 10000 < p.min_spend_fen * ${BAND} THEN 1 ELSE 0 END
      FROM redemptions r JOIN pools p ON p.id = r.pool_id
      WHERE r.posted_at >= ${s} AND r.posted_at < ${e} AND r.pool_id IN ${pools}
      UNION ALL
      SELECT ${day(sql`x.created_at`)}, x.pool_id, x.merchant_id, 0, 0, 0, 0, 0, 0, 1, x.amount_fen, r.order_amount_fen, 0, 0, 0
      FROM redemption_reversals x JOIN redemptions r ON r.id = x.redemption_id
      WHERE x.created_at >= ${s} AND x.created_at < ${e} AND x.pool_id IN ${pools}
    ) ev
    GROUP BY day, pool_id, merchant_id`;
}

// ---- the rollup ----

export async function rollupThrough(q: Queryable): Promise<string | null> {
  const [row] = await q.query<{ through_day: string | null }>(sql`SELECT through_day::text AS through_day FROM report_rollup_state WHERE id = 1`);
  return row?.through_day ?? null;
}

/** The Asia/Shanghai day of the first voucher ever issued (every event follows an issue); null on an empty database. */
export async function firstEventDay(q: Queryable): Promise<string | null> {
  const [row] = await q.query<{ d: string | null }>(sql`SELECT ${day(sql`min(issued_at)`)}::text AS d FROM vouchers`);
  return row?.d ?? null;
}

/**
 * Rebuilds one day of report_daily from the base tables and moves the state to it, in the
 * caller's transaction; false (nothing written) when the state is no longer `expectedThrough`.
 */
export async function rebuildDay(tx: Queryable, d: string, expectedThrough: string | null): Promise<boolean> {
  const [state] = await tx.query<{ through_day: string | null }>(sql`
    SELECT through_day::text AS through_day FROM report_rollup_state WHERE id = 1 FOR UPDATE`);
  if ((state?.through_day ?? null) !== expectedThrough) return false;
  await tx.query(sql`DELETE FROM report_daily WHERE day = ${d}::date`);
  await tx.query(sql`INSERT INTO report_daily (${DAILY_COLUMNS}) SELECT ${DAILY_COLUMNS} FROM (${dailyRows(d, d, sql`(SELECT id FROM pools)`)}) r`);
  await tx.query(sql`DELETE FROM report_pool_daily WHERE day = ${d}::date`);
  await tx.query(sql`
    INSERT INTO report_pool_daily (${POOL_COLUMNS})
    SELECT day, pool_id, ${POOL_SUMS} FROM report_daily WHERE day = ${d}::date GROUP BY day, pool_id`);
  await tx.query(sql`UPDATE report_rollup_state SET through_day = ${d}::date, updated_at = now() WHERE id = 1`);
  return true;
}

/**
 * The daily rows of [from, to] in scope: days up to `through` from the rollup, later days
 * counted live from the base tables. `perMerchant` false reads the pool × day rollup (its rows
 * carry the nil merchant): for figures that need no merchant.
 */
export function scopedRows(s: ReportScope, from: string, to: string, through: string | null, perMerchant = true): SQL {
  const pools = poolsInScope(s);
  const parts: SQL[] = [];
  const rolledTo = through !== null && through < to ? through : to;
  if (through !== null && through >= from) {
    const rolled = perMerchant
      ? sql`SELECT ${DAILY_COLUMNS} FROM report_daily`
      : sql`SELECT day, pool_id, ${NIL_MERCHANT}::uuid AS merchant_id, ${POOL_COLUMNS_AFTER_POOL} FROM report_pool_daily`;
    parts.push(sql`${rolled} WHERE day BETWEEN ${from}::date AND ${rolledTo}::date AND pool_id IN ${pools}`);
  }
  const liveFrom = through !== null && through >= from ? addDays(through, 1) : from;
  if (liveFrom <= to) parts.push(sql`SELECT ${DAILY_COLUMNS} FROM (${dailyRows(liveFrom, to, pools)}) live`);
  if (parts.length === 0) throw new Error('assertion: a report range covers no day');
  return sql`(${sql.join(parts, sql` UNION ALL `)})`;
}

export interface DayFigures {
  day: string;
  vouchers_issued: number;
  vouchers_expired: number;
  redemptions: number;
  reversals: number;
  discount_fen: number;
  reversed_discount_fen: number;
  order_fen: number;
  reversed_order_fen: number;
}

const FLOW_SUMS = sql`
  sum(vouchers_issued)::bigint AS vouchers_issued, sum(vouchers_expired)::bigint AS vouchers_expired,
  sum(redemptions)::bigint AS redemptions, sum(reversals)::bigint AS reversals, sum(discount_fen)::bigint AS discount_fen,
  sum(reversed_discount_fen)::bigint AS reversed_discount_fen, sum(order_fen)::bigint AS order_fen,
  sum(reversed_order_fen)::bigint AS reversed_order_fen`;

export async function seriesByDay(q: Queryable, s: ReportScope, from: string, to: string, through: string | null): Promise<DayFigures[]> {
  return q.query<DayFigures>(sql`
    SELECT d.day::text AS day, ${FLOW_SUMS}
    FROM ${scopedRows(s, from, to, through, hasMerchantFilter(s))} d WHERE ${merchantFilter(s, sql`d`)}
    GROUP BY d.day ORDER BY d.day`);
}

export interface MerchantFigures extends Omit<DayFigures, 'day'> {
  merchant_id: string;
  name_zh: string;
  district: string | null;
}

/** Redemption figures per merchant, most discount first. */
export async function byMerchant(q: Queryable, s: ReportScope, from: string, to: string, through: string | null, limit: number): Promise<MerchantFigures[]> {
  return q.query<MerchantFigures>(sql`
    SELECT d.merchant_id, o.name_zh, o.district, ${FLOW_SUMS}
    FROM ${scopedRows(s, from, to, through)} d JOIN organisations o ON o.id = d.merchant_id
    WHERE d.merchant_id <> ${NIL_MERCHANT}::uuid AND ${merchantFilter(s, sql`d`)}
    GROUP BY d.merchant_id, o.name_zh, o.district
    ORDER BY sum(d.discount_fen) - sum(d.reversed_discount_fen) DESC, d.merchant_id LIMIT ${limit}`);
}

export interface Balances {
  pool_count: number;
  budget_fen: number;
  available_fen: number;
  reserved_fen: number;
  spent_fen: number;
  settled_fen: number;
}

/** Balances now: budget and available from the pools, reserved, spent and settled from the ledger's rollups. */
export async function balances(q: Queryable, s: ReportScope): Promise<Balances> {
  const pools = poolsInScope(s);
  const [row] = await q.query<Balances>(sql`
    SELECT p.pool_count, p.budget_fen, p.available_fen, l.reserved_fen, l.spent_fen, l.settled_fen
    FROM (SELECT count(*)::int AS pool_count, coalesce(sum(budget_fen), 0)::bigint AS budget_fen,
                 coalesce(sum(available_fen), 0)::bigint AS available_fen
          FROM pools WHERE funded AND id IN ${pools}) p,
         (SELECT coalesce(sum(balance_fen) FILTER (WHERE account IN ('voucher', 'hold')), 0)::bigint AS reserved_fen,
                 coalesce(sum(balance_fen) FILTER (WHERE account IN ('spent', 'settled') AND ${merchantFilter(s, sql`r`)}), 0)::bigint AS spent_fen,
                 coalesce(sum(balance_fen) FILTER (WHERE account = 'settled' AND ${merchantFilter(s, sql`r`)}), 0)::bigint AS settled_fen
          FROM ledger_rollups r WHERE pool_id IN ${pools}) l`);
  return row as Balances;
}

// ---- fraud signals ----

/** rows of one kind of signal one request lists at most */
export const SIGNALS_PER_KIND_MAX = 500;

const range = (days: number) => sql.raw(`RANGE BETWEEN interval '${days} days' PRECEDING AND interval '1 day' PRECEDING`);

export interface SpikeRow {
  merchant_id: string; name_zh: string; name_en: string | null; day: string; cnt: number; val: number; prev_cnt: number; prev_val: number;
}

/** Merchant days whose count and discount are both above the multiple of the trailing mean. */
export async function dailySpikes(q: Queryable, rows: SQL, from: string, to: string): Promise<SpikeRow[]> {
  const days = T.spikeTrailingDays;
  return q.query<SpikeRow>(sql`
    WITH md AS (SELECT merchant_id, day, sum(redemptions)::bigint AS cnt, sum(discount_fen)::bigint AS val
                FROM ${rows} d WHERE merchant_id <> ${NIL_MERCHANT}::uuid GROUP BY merchant_id, day),
         w AS (SELECT merchant_id, day, cnt, val, coalesce(sum(cnt) OVER tr, 0)::bigint AS prev_cnt,
                      coalesce(sum(val) OVER tr, 0)::bigint AS prev_val
               FROM md WINDOW tr AS (PARTITION BY merchant_id ORDER BY day ${range(days)}))
    SELECT w.merchant_id, o.name_zh, o.name_en, w.day::text AS day, w.cnt, w.val, w.prev_cnt, w.prev_val
    FROM w JOIN organisations o ON o.id = w.merchant_id
    WHERE w.day BETWEEN ${from}::date AND ${to}::date AND w.prev_cnt > 0 AND w.cnt >= ${T.spikeCountMin}
      AND w.cnt * ${days} > ${T.spikeMultiple} * w.prev_cnt AND w.val * ${days} > ${T.spikeMultiple} * w.prev_val
    ORDER BY w.day, w.merchant_id LIMIT ${SIGNALS_PER_KIND_MAX}`);
}

export interface ThresholdRow {
  merchant_id: string; name_zh: string; name_en: string | null; pool_id: string; pool_name_zh: string; min_spend_fen: number;
  orders: number; near: number;
}

/** Merchant × pool where orders just above the 满减 threshold are more than the share allowed. */
export async function thresholdClusters(q: Queryable, rows: SQL, from: string, to: string): Promise<ThresholdRow[]> {
  return q.query<ThresholdRow>(sql`
    SELECT t.merchant_id, o.name_zh, o.name_en, t.pool_id, p.name_zh AS pool_name_zh, p.min_spend_fen, t.orders, t.near
    FROM (SELECT merchant_id, pool_id, sum(threshold_orders)::bigint AS orders, sum(near_threshold_orders)::bigint AS near
          FROM ${rows} d WHERE day BETWEEN ${from}::date AND ${to}::date GROUP BY merchant_id, pool_id) t
      JOIN organisations o ON o.id = t.merchant_id JOIN pools p ON p.id = t.pool_id
    WHERE t.orders >= ${T.thresholdOrdersMin} AND t.near * 10000 > t.orders * ${T.thresholdShareBp}
    ORDER BY t.merchant_id, t.pool_id LIMIT ${SIGNALS_PER_KIND_MAX}`);
}

export interface NightRow {
  merchant_id: string; name_zh: string; name_en: string | null; day: string; night: number; prev_cnt: number; prev_night: number;
}

/** Merchant days with night redemptions, where the merchant's recent history is daytime. */
export async function nightHours(q: Queryable, rows: SQL, from: string, to: string): Promise<NightRow[]> {
  return q.query<NightRow>(sql`
    WITH md AS (SELECT merchant_id, day, sum(redemptions)::bigint AS cnt, sum(night_redemptions)::bigint AS night
                FROM ${rows} d WHERE merchant_id <> ${NIL_MERCHANT}::uuid GROUP BY merchant_id, day),
         w AS (SELECT merchant_id, day, night, coalesce(sum(cnt) OVER tr, 0)::bigint AS prev_cnt,
                      coalesce(sum(night) OVER tr, 0)::bigint AS prev_night
               FROM md WINDOW tr AS (PARTITION BY merchant_id ORDER BY day ${range(T.nightHistoryDays)}))
    SELECT w.merchant_id, o.name_zh, o.name_en, w.day::text AS day, w.night, w.prev_cnt, w.prev_night
    FROM w JOIN organisations o ON o.id = w.merchant_id
    WHERE w.day BETWEEN ${from}::date AND ${to}::date AND w.night >= ${T.nightCountMin}
      AND w.prev_cnt >= ${T.nightHistoryCountMin} AND w.prev_night * 10000 <= w.prev_cnt * ${T.nightHistoryShareMaxBp}
    ORDER BY w.day, w.merchant_id LIMIT ${SIGNALS_PER_KIND_MAX}`);
}

export interface HolderRow {
  merchant_id: string; name_zh: string; name_en: string | null; holder_id: string; at: string; vouchers: number;
  pool_id: string | null; pool_name_zh: string | null;
}

/**
 * (merchant, holder) pairs where one holder redeemed at least the minimum of distinct vouchers
 * at one merchant within a sliding window ending in [from, to]; the busiest window of each pair.
 * Row level: it reads the posted redemptions of the range (bounded by the signals' window limit).
 */
export async function holderRepeats(q: Queryable, s: ReportScope, from: string, to: string): Promise<HolderRow[]> {
  const windowDays = T.holderWindowDays;
  const start = shanghaiDayStart(addDays(from, -(windowDays - 1))).toISOString();
  const anchorStart = shanghaiDayStart(from).toISOString();
  const end = shanghaiDayStart(addDays(to, 1)).toISOString();
  const win = sql.raw(`interval '${windowDays} days'`);
  return q.query<HolderRow>(sql`
    WITH r AS (SELECT merchant_id, holder_id, voucher_id, pool_id, posted_at FROM redemptions
               WHERE posted_at >= ${start} AND posted_at < ${end} AND status = 'posted' AND pool_id IN ${poolsInScope(s)}),
         cand AS (SELECT merchant_id, holder_id FROM r GROUP BY merchant_id, holder_id
                  HAVING count(DISTINCT voucher_id) >= ${T.holderVouchersMin}),
         win AS (SELECT a.merchant_id, a.holder_id, a.posted_at AS at, count(DISTINCT b.voucher_id)::int AS vouchers,
                        count(DISTINCT b.pool_id)::int AS pools, min(b.pool_id::text) AS pool_id
                 FROM r a JOIN cand c ON c.merchant_id = a.merchant_id AND c.holder_id = a.holder_id
                   JOIN r b ON b.merchant_id = a.merchant_id AND b.holder_id = a.holder_id
                    AND b.posted_at > a.posted_at - ${win} AND b.posted_at <= a.posted_at
                 WHERE a.posted_at >= ${anchorStart}
                 GROUP BY a.merchant_id, a.holder_id, a.posted_at),
         best AS (SELECT DISTINCT ON (merchant_id, holder_id) * FROM win WHERE vouchers >= ${T.holderVouchersMin}
                  ORDER BY merchant_id, holder_id, vouchers DESC, at)
    SELECT b.merchant_id, o.name_zh, o.name_en, b.holder_id, b.at, b.vouchers,
           CASE WHEN b.pools = 1 THEN b.pool_id::uuid END AS pool_id, CASE WHEN b.pools = 1 THEN p.name_zh END AS pool_name_zh
    FROM best b JOIN organisations o ON o.id = b.merchant_id LEFT JOIN pools p ON p.id = b.pool_id::uuid
    ORDER BY b.at, b.merchant_id, b.holder_id LIMIT ${SIGNALS_PER_KIND_MAX}`);
}

// ---- co-funding (市区协同) ----

/** One funder's figures, and the pool's (the same on every row), from one statement: one snapshot. */
export interface FunderFiguresRow {
  idx: number;
  code: string | null;
  name_zh: string;
  share_bp: number;
  budget_fen: number; issued_fen: number; reserved_fen: number; spent_fen: number; settled_fen: number;
  total_budget_fen: number; total_issued_fen: number; total_reserved_fen: number; total_spent_fen: number; total_settled_fen: number;
}

/**
 * A pool's budget, issued, reserved, spent and settled split by funder, from the journal. Each
 * entry is split like `splitSignedByShares`: every funder after the first gets
 * sign(a) × ⌊|a| × shareBp / 10000⌋, the first the rest, so a funder's figure is the sum of its
 * parts of every entry and the funders' figures add up to the pool's exactly. Entries are
 * grouped by amount first, so the split runs once per distinct amount, not per entry.
 * Settled is not split: a settle movement pays one settlement batch, and the batch belongs to
 * one funder (settlement split each redemption when it made the batch). A pool without funders
 * has one implicit funder, the issuer (code null, 100%).
 */
export async function funderFigures(q: Queryable, poolId: string): Promise<FunderFiguresRow[]> {
  return q.query<FunderFiguresRow>(sql`
    WITH f AS (
      SELECT (x.ord - 1)::int AS idx, x.f->>'code' AS code, x.f->>'nameZh' AS name_zh, (x.f->>'shareBp')::int AS share_bp
      FROM pools p CROSS JOIN LATERAL jsonb_array_elements(p.funders) WITH ORDINALITY AS x (f, ord) WHERE p.id = ${poolId}
      UNION ALL
      SELECT 0, NULL, o.name_zh, 10000 FROM pools p JOIN organisations o ON o.id = p.issuer_id
      WHERE p.id = ${poolId} AND jsonb_array_length(p.funders) = 0
    ),
    g AS (
      SELECT CASE WHEN e.account = 'budget' THEN 'budget' WHEN e.account IN ('voucher', 'hold') THEN 'reserved' ELSE 'spent' END AS figure,
             (e.account = 'voucher' AND t.kind = 'issue') AS issued, e.amount_fen AS a, count(*)::numeric AS n
      FROM journal_entries e JOIN journal_transactions t ON t.id = e.txn_id
      WHERE e.pool_id = ${poolId} AND e.account IN ('budget', 'voucher', 'hold', 'spent', 'settled')
      GROUP BY 1, 2, 3
    ),
    tail AS (
      SELECT g.figure, g.issued, g.a, f.idx, g.n * sign(g.a) * floor(abs(g.a)::numeric * f.share_bp / 10000) AS part
      FROM g JOIN f ON f.idx > 0
    ),
    parts AS (
      SELECT figure, issued, idx, part FROM tail
      UNION ALL
      SELECT g.figure, g.issued, 0, g.n * g.a - coalesce(r.others, 0)
      FROM g LEFT JOIN (SELECT figure, issued, a, sum(part) AS others FROM tail GROUP BY 1, 2, 3) r
        ON r.figure = g.figure AND r.issued = g.issued AND r.a = g.a
    ),
    settled AS (
      SELECT b.funder_code AS code, sum(e.amount_fen) AS fen
      FROM journal_entries e JOIN journal_transactions t ON t.id = e.txn_id
      JOIN settlement_batches b ON t.ref_type = 'settlement' AND b.id::text = t.ref_id
      WHERE e.pool_id = ${poolId} AND e.account = 'settled'
      GROUP BY b.funder_code
    ),
    tot AS (
      SELECT coalesce(-sum(n * a) FILTER (WHERE figure = 'budget'), 0) AS budget,
             coalesce(sum(n * a) FILTER (WHERE issued), 0) AS issued,
             coalesce(sum(n * a) FILTER (WHERE figure = 'reserved'), 0) AS reserved,
             coalesce(sum(n * a) FILTER (WHERE figure = 'spent'), 0) AS spent,
             (SELECT coalesce(sum(amount_fen), 0) FROM journal_entries WHERE pool_id = ${poolId} AND account = 'settled') AS settled
      FROM g
    )
    SELECT f.idx, f.code, f.name_zh, f.share_bp,
           coalesce(-sum(p.part) FILTER (WHERE p.figure = 'budget'), 0)::bigint AS budget_fen,
           coalesce(sum(p.part) FILTER (WHERE p.issued), 0)::bigint AS issued_fen,
           coalesce(sum(p.part) FILTER (WHERE p.figure = 'reserved'), 0)::bigint AS reserved_fen,
           coalesce(sum(p.part) FILTER (WHERE p.figure = 'spent'), 0)::bigint AS spent_fen,
           coalesce(min(s.fen), 0)::bigint AS settled_fen,
           min(tot.budget)::bigint AS total_budget_fen, min(tot.issued)::bigint AS total_issued_fen,
           min(tot.reserved)::bigint AS total_reserved_fen, min(tot.spent)::bigint AS total_spent_fen,
           min(tot.settled)::bigint AS total_settled_fen
    FROM f CROSS JOIN tot
    LEFT JOIN parts p ON p.idx = f.idx
    LEFT JOIN settled s ON s.code = coalesce(f.code, '')
    GROUP BY f.idx, f.code, f.name_zh, f.share_bp
    ORDER BY f.idx`);
}
