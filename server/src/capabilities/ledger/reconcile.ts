/**
 * The reconciler: recomputes every balance from the journal and reports each place where a
 * stored figure disagrees. It only reads. Checks (docs/LEDGER.md, Reconciler):
 * - transactions: every journal transaction has ≥ 2 entries that sum to zero, all in its pool;
 * - pools: budget = available + reserved + spent, each ≥ 0; pools.available_fen = Σ available;
 *   −Σ budget = budget_fen once funded (0 before); reserved = Σ voucher balances + holds;
 * - vouchers: balance_fen = Σ voucher entries, held_fen = Σ hold entries = Σ pending
 *   redemptions; no entry names an unknown voucher or another pool's voucher;
 * - rollups: every rollup key sums to its journal sum;
 * - merchants: per pool × merchant, Σ spent + settled = Σ posted redemptions − Σ reversals.
 */
import type { ReconcileDifference, ReconcileReport } from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import { sql, type Queryable } from '../../platform/db';
import { NO_MERCHANT } from './ledger.repository';

export type ReconcileStage = 'transactions' | 'pools' | 'vouchers' | 'rollups' | 'merchants';
export const RECONCILE_STAGES: readonly ReconcileStage[] = ['transactions', 'pools', 'vouchers', 'rollups', 'merchants'];

export interface ReconcileOptions {
  /** called after each page of a stage: how far it got */
  onProgress?: (stage: ReconcileStage, done: number, total: number) => void;
  /** the most differences the report lists (the rest only set `truncated`) */
  differencesMax?: number;
  /** journal transaction ids per page */
  txnPageSize?: number;
  /** vouchers per page */
  voucherPageSize?: number;
}

const DIFFERENCES_MAX_DEFAULT = 1000;
const TXN_PAGE_DEFAULT = 50_000;
const VOUCHER_PAGE_DEFAULT = 2_000;

class Findings {
  readonly list: ReconcileDifference[] = [];
  truncated = false;
  constructor(private readonly max: number) {}

  add(d: ReconcileDifference): void {
    if (this.list.length < this.max) this.list.push(d);
    else this.truncated = true;
  }

  /** Adds a difference when `expected` and `actual` differ. */
  compare(check: string, subject: string, expected: number, actual: number, detail?: string): void {
    if (expected !== actual) this.add({ check, subject, expected, actual, ...(detail ? { detail } : {}) });
  }
}

type Progress = NonNullable<ReconcileOptions['onProgress']>;

async function checkTransactions(q: Queryable, f: Findings, pageSize: number, progress: Progress): Promise<number> {
  const [range] = await q.query<{ max_id: number; n: number }>(sql`
    SELECT coalesce(max(id), 0)::bigint AS max_id, count(*)::bigint AS n FROM journal_transactions`);
  const maxId = range?.max_id ?? 0;
  progress('transactions', 0, maxId);
  for (let lo = 1; lo <= maxId; lo += pageSize) {
    const hi = Math.min(lo + pageSize, maxId + 1);
    const bad = await q.query<{ id: number; kind: string; entries: number; sum_fen: number; foreign_entries: number }>(sql`
      SELECT t.id, t.kind, count(e.id)::int AS entries, coalesce(sum(e.amount_fen), 0)::bigint AS sum_fen,
             count(e.id) FILTER (WHERE e.pool_id <> t.pool_id)::int AS foreign_entries
      FROM journal_transactions t
      -- the page's range on the entries too: each monthly partition reads it off its txn index
      LEFT JOIN journal_entries e ON e.txn_id = t.id AND e.txn_id >= ${lo} AND e.txn_id < ${hi}
      WHERE t.id >= ${lo} AND t.id < ${hi}
      GROUP BY t.id, t.kind
      HAVING coalesce(sum(e.amount_fen), 0) <> 0 OR count(e.id) < 2 OR count(e.id) FILTER (WHERE e.pool_id <> t.pool_id) > 0
      ORDER BY t.id`);
    for (const t of bad) {
      const subject = `txn:${t.id}`;
      f.compare('txn_unbalanced', subject, 0, t.sum_fen, `${t.kind}: its entries must sum to zero`);
      if (t.entries < 2) f.add({ check: 'txn_too_few_entries', subject, expected: 2, actual: t.entries, detail: t.kind });
      f.compare('txn_foreign_entries', subject, 0, t.foreign_entries, 'entries must be in the transaction’s pool');
    }
    progress('transactions', hi - 1, maxId);
  }
  return range?.n ?? 0;
}

interface PoolFigures {
  id: string; funded: boolean; budget_fen: number; available_fen: number;
  j_budget: number; j_available: number; j_reserved: number; j_spent: number; live_reserved: number;
}

async function checkPools(q: Queryable, f: Findings, progress: Progress): Promise<number> {
  const pools = await q.query<PoolFigures>(sql`
    SELECT p.id, p.funded, p.budget_fen, p.available_fen,
           coalesce(j.budget, 0)::bigint AS j_budget, coalesce(j.available, 0)::bigint AS j_available,
           coalesce(j.reserved, 0)::bigint AS j_reserved, coalesce(j.spent, 0)::bigint AS j_spent,
           coalesce(v.reserved, 0)::bigint AS live_reserved
    FROM pools p
    LEFT JOIN (
      SELECT pool_id,
             -sum(amount_fen) FILTER (WHERE account = 'budget') AS budget,
             sum(amount_fen) FILTER (WHERE account = 'available') AS available,
             sum(amount_fen) FILTER (WHERE account IN ('voucher', 'hold')) AS reserved,
             sum(amount_fen) FILTER (WHERE account IN ('spent', 'settled')) AS spent
      FROM journal_entries GROUP BY pool_id) j ON j.pool_id = p.id
    LEFT JOIN (SELECT pool_id, sum(balance_fen + held_fen) AS reserved FROM vouchers GROUP BY pool_id) v ON v.pool_id = p.id
    ORDER BY p.id`);
  progress('pools', 0, pools.length);
  for (const p of pools) {
    const subject = `pool:${p.id}`;
    f.compare('pool_available', subject, p.j_available, p.available_fen, 'pools.available_fen vs Σ available entries');
    f.compare('pool_budget', subject, p.funded ? p.budget_fen : 0, p.j_budget, '−Σ budget entries vs the funded budget');
    f.compare('pool_budget_equation', subject, p.j_budget, p.j_available + p.j_reserved + p.j_spent, 'budget = available + reserved + spent');
    f.compare('pool_reserved', subject, p.j_reserved, p.live_reserved, 'Σ voucher and hold entries vs Σ vouchers.balance_fen + held_fen');
    for (const [name, value] of [['available', p.j_available], ['reserved', p.j_reserved], ['spent', p.j_spent]] as const) {
      if (value < 0) f.add({ check: 'pool_negative', subject, expected: '≥ 0', actual: value, detail: name });
    }
  }
  progress('pools', pools.length, pools.length);
  return pools.length;
}

interface VoucherFigures {
  id: string; balance_fen: number; held_fen: number; j_balance: number; j_held: number; pending_fen: number; foreign_entries: number;
}

async function checkVouchers(q: Queryable, f: Findings, pageSize: number, progress: Progress): Promise<number> {
  const [count] = await q.query<{ n: number }>(sql`SELECT count(*)::bigint AS n FROM vouchers`);
  const total = count?.n ?? 0;
  let done = 0;
  let afterId = '00000000-0000-0000-0000-000000000000';
  progress('vouchers', 0, total);
  for (;;) {
    // The page's entries and pending redemptions are read as one range of voucher ids: one
    // index range scan per monthly partition, not one probe per voucher and partition.
    const page = await q.query<VoucherFigures>(sql`
      WITH v AS MATERIALIZED (
        SELECT id, pool_id, balance_fen, held_fen FROM vouchers WHERE id > ${afterId}::uuid ORDER BY id LIMIT ${pageSize}
      ), last AS (SELECT id FROM v ORDER BY id DESC LIMIT 1), j AS (
        SELECT e.voucher_id, sum(e.amount_fen) FILTER (WHERE e.account = 'voucher') AS balance,
               sum(e.amount_fen) FILTER (WHERE e.account = 'hold') AS held,
               count(*) FILTER (WHERE e.pool_id <> v.pool_id) AS foreign_entries
        FROM journal_entries e JOIN v ON v.id = e.voucher_id
        WHERE e.voucher_id > ${afterId}::uuid AND e.voucher_id <= (SELECT id FROM last)
        GROUP BY e.voucher_id
      ), r AS (
        SELECT voucher_id, sum(discount_fen) AS pending FROM redemptions
        WHERE status = 'pending' AND voucher_id > ${afterId}::uuid AND voucher_id <= (SELECT id FROM last)
        GROUP BY voucher_id
      )
      SELECT v.id, v.balance_fen, v.held_fen,
             coalesce(j.balance, 0)::bigint AS j_balance, coalesce(j.held, 0)::bigint AS j_held,
             coalesce(j.foreign_entries, 0)::int AS foreign_entries, coalesce(r.pending, 0)::bigint AS pending_fen
      FROM v LEFT JOIN j ON j.voucher_id = v.id LEFT JOIN r ON r.voucher_id = v.id
      ORDER BY v.id`);
    for (const v of page) {
      const subject = `voucher:${v.id}`;
      f.compare('voucher_balance', subject, v.j_balance, v.balance_fen, 'vouchers.balance_fen vs Σ voucher entries');
      f.compare('voucher_held', subject, v.j_held, v.held_fen, 'vouchers.held_fen vs Σ hold entries');
      f.compare('voucher_held_pending', subject, v.pending_fen, v.held_fen, 'vouchers.held_fen vs Σ pending redemptions');
      f.compare('voucher_foreign_entries', subject, 0, v.foreign_entries, 'entries of this voucher booked on another pool');
    }
    done += page.length;
    progress('vouchers', done, total);
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) break;
    afterId = last.id;
  }
  const unknown = await q.query<{ voucher_id: string }>(sql`
    SELECT DISTINCT e.voucher_id FROM journal_entries e
    WHERE e.voucher_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.id = e.voucher_id) LIMIT 100`);
  for (const u of unknown) f.add({ check: 'voucher_unknown', subject: `voucher:${u.voucher_id}`, expected: null, actual: null, detail: 'journal entries name a voucher that does not exist' });
  return done;
}

async function checkRollups(q: Queryable, f: Findings, progress: Progress): Promise<number> {
  progress('rollups', 0, 1);
  const rows = await q.query<{ pool_id: string; account: string; merchant_id: string; rollup_fen: number; journal_fen: number }>(sql`
    WITH r AS (SELECT pool_id, account, merchant_id, sum(balance_fen) AS bal FROM ledger_rollups GROUP BY 1, 2, 3),
         j AS (SELECT pool_id, account, coalesce(merchant_id, ${NO_MERCHANT}::uuid) AS merchant_id, sum(amount_fen) AS bal
               FROM journal_entries GROUP BY 1, 2, 3)
    SELECT coalesce(r.pool_id, j.pool_id) AS pool_id, coalesce(r.account, j.account) AS account,
           coalesce(r.merchant_id, j.merchant_id) AS merchant_id,
           coalesce(r.bal, 0)::bigint AS rollup_fen, coalesce(j.bal, 0)::bigint AS journal_fen
    FROM r FULL OUTER JOIN j ON r.pool_id = j.pool_id AND r.account = j.account AND r.merchant_id = j.merchant_id`);
  for (const r of rows) {
    const merchant = r.merchant_id === NO_MERCHANT ? '' : ` merchant:${r.merchant_id}`;
    f.compare('rollup', `pool:${r.pool_id} account:${r.account}${merchant}`, r.journal_fen, r.rollup_fen, 'ledger_rollups vs Σ journal entries');
  }
  progress('rollups', 1, 1);
  return rows.length;
}

async function checkMerchants(q: Queryable, f: Findings, progress: Progress): Promise<number> {
  progress('merchants', 0, 1);
  const rows = await q.query<{ pool_id: string; merchant_id: string; journal_fen: number; redeemed_fen: number }>(sql`
    WITH j AS (SELECT pool_id, merchant_id, sum(amount_fen) AS fen FROM journal_entries
               WHERE account IN ('spent', 'settled') GROUP BY 1, 2),
         r AS (SELECT pool_id, merchant_id, sum(fen) AS fen FROM (
                 SELECT pool_id, merchant_id, discount_fen AS fen FROM redemptions WHERE status IN ('posted', 'reversed')
                 UNION ALL
                 SELECT pool_id, merchant_id, -amount_fen FROM redemption_reversals) x GROUP BY 1, 2)
    SELECT coalesce(j.pool_id, r.pool_id) AS pool_id, coalesce(j.merchant_id, r.merchant_id) AS merchant_id,
           coalesce(j.fen, 0)::bigint AS journal_fen, coalesce(r.fen, 0)::bigint AS redeemed_fen
    FROM j FULL OUTER JOIN r ON j.pool_id = r.pool_id AND j.merchant_id = r.merchant_id`);
  for (const r of rows) {
    f.compare('merchant_payable', `pool:${r.pool_id} merchant:${r.merchant_id}`, r.redeemed_fen, r.journal_fen,
      'Σ spent + settled entries vs Σ posted redemptions − Σ reversals');
  }
  progress('merchants', 1, 1);
  return rows.length;
}

/**
 * Runs every check. Each comparison is made inside ONE statement, which sees one snapshot, so
 * a live system reconciles without false alarms; `q` may also be a transaction.
 */
export async function reconcile(q: Queryable, clock: Clock, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const startedAt = clock.now().toISOString();
  const f = new Findings(options.differencesMax ?? DIFFERENCES_MAX_DEFAULT);
  const progress: Progress = options.onProgress ?? (() => undefined);
  const transactions = await checkTransactions(q, f, options.txnPageSize ?? TXN_PAGE_DEFAULT, progress);
  const pools = await checkPools(q, f, progress);
  const vouchers = await checkVouchers(q, f, options.voucherPageSize ?? VOUCHER_PAGE_DEFAULT, progress);
  const rollups = await checkRollups(q, f, progress);
  const merchants = await checkMerchants(q, f, progress);
  return {
    ok: f.list.length === 0 && !f.truncated, startedAt, finishedAt: clock.now().toISOString(),
    checked: { transactions, pools, vouchers, rollups, merchants }, differences: f.list, truncated: f.truncated,
  };
}
