/**
 * What must hold after every fault (docs/RELIABILITY.md): the reconciler is clean; every
 * acknowledged claim and redemption exists exactly once; every voucher has its journal
 * entries; budget = available + reserved + spent per pool; no single-use voucher is
 * redeemed twice and no voucher pays out more than its amount; re-running a job changes
 * nothing. Through the API (any engine) and, where the database is reachable, in SQL.
 */
import { sql, type Queryable } from '../../server/src/platform/db';
import type { Actors, Book } from './load';
import { call, sleep } from './server';

async function pages(base: string, token: string, url: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 200; i++) {
    const a = await call(base, 'GET', `${url}${url.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token });
    if (a.status !== 200) throw new Error(`GET ${url}: ${a.status} ${JSON.stringify(a.body)}`);
    items.push(...(a.body.items as Record<string, unknown>[]));
    cursor = a.body.nextCursor as string | null;
    if (!cursor) break;
  }
  return items;
}

async function poolFigures(base: string, actors: Actors): Promise<string> {
  const out: string[] = [];
  for (const id of actors.pools.all) {
    const p = await call(base, 'GET', `/pools/${id}`, { token: actors.admin });
    out.push(JSON.stringify([p.body.budgetFen, p.body.availableFen, p.body.reservedFen, p.body.spentFen]));
  }
  return out.join();
}

/** The checks over HTTP; returns the violations found. */
export async function checkOverHttp(base: string, book: Book, actors: Actors): Promise<string[]> {
  const v: string[] = [...book.violations];
  book.violations.length = 0;
  const rec = await call(base, 'GET', '/admin/reconcile', { token: actors.admin });
  if (rec.status !== 200 || rec.body.ok !== true) v.push(`reconcile: ${rec.status} ${JSON.stringify(rec.body).slice(0, 800)}`);

  for (const id of actors.pools.all) {
    const p = (await call(base, 'GET', `/pools/${id}`, { token: actors.admin })).body as Record<string, number>;
    if (p.budgetFen !== p.availableFen + p.reservedFen + p.spentFen) v.push(`pool ${id}: budget ${p.budgetFen} ≠ ${p.availableFen} + ${p.reservedFen} + ${p.spentFen}`);
  }

  const vouchers = new Map<string, Record<string, unknown>>();
  for (const id of actors.pools.all) for (const x of await pages(base, actors.admin, `/vouchers?poolId=${id}`)) vouchers.set(x.id as string, x);
  const ackedClaims = book.acked('claim');
  const ackedIds = new Set(ackedClaims.map((o) => o.id));
  if (ackedIds.size !== ackedClaims.length) v.push('two acknowledged claims share a voucher');
  for (const op of ackedClaims) if (!vouchers.has(op.id as string)) v.push(`acknowledged claim ${op.key}: voucher ${op.id} missing`);
  const unknownClaims = book.ops.filter((o) => o.kind === 'claim' && o.state === 'unknown').length;
  const extra = [...vouchers.keys()].filter((id) => !ackedIds.has(id)).length;
  if (extra > unknownClaims) v.push(`${extra} vouchers no claim accounts for (${unknownClaims} claims of unknown outcome)`);

  const redemptions = await pages(base, actors.admin, '/redemptions');
  const byId = new Set(redemptions.map((r) => r.id));
  for (const op of book.acked('redeem')) if (!byId.has(op.id)) v.push(`acknowledged redemption ${op.key}: ${op.id} missing`);
  const live = new Map<string, number>();
  for (const r of redemptions) {
    if (r.status === 'posted' || r.status === 'pending') live.set(r.voucherId as string, (live.get(r.voucherId as string) ?? 0) + 1);
  }
  for (const [voucherId, n] of live) if (n > 1) v.push(`voucher ${voucherId} redeemed ${n} times`);

  // a job run right after another changes nothing (not across the moment a pool's vouchers expire)
  const untilExpiry = actors.pools.expiresAtMs - Date.now();
  if (untilExpiry > -2_000 && untilExpiry < 3_000) await sleep(untilExpiry + 2_500);
  const t0 = Date.now();
  const first = await call(base, 'POST', '/admin/jobs/voucher-expiry/run', { token: actors.admin });
  const t1 = Date.now();
  const before = await poolFigures(base, actors);
  const t2 = Date.now();
  const again = await call(base, 'POST', '/admin/jobs/voucher-expiry/run', { token: actors.admin });
  if (again.status !== 200 || again.body.rows !== 0) {
    const all = await call(base, 'GET', '/admin/jobs?limit=60', { token: actors.admin });
    const running = ((all.body.runs ?? []) as Record<string, unknown>[]).filter((r) => r.status === 'running');
    const metricsText = await fetch(`${base}/metrics`).then((r) => r.text()).catch(() => '');
    v.push(`jobs running: ${JSON.stringify(running).slice(0, 1500)} pool: ${metricsText.split('\n').filter((l) => l.startsWith('hqt_db_pool')).join(' | ')}`);
    const runs = await call(base, 'GET', '/admin/jobs?job=voucher-expiry&limit=5', { token: actors.admin });
    v.push(`expiry job re-run: ${again.status} rows ${String(again.body.rows)} after ${Date.now() - t2} ms (first run: ${first.status} in ${t1 - t0} ms ${JSON.stringify(first.body).slice(0, 300)}); latest runs: ${JSON.stringify(runs.body.runs ?? runs.status).slice(0, 1500)}`);
  }
  if ((await poolFigures(base, actors)) !== before) v.push('expiry job re-run changed pool figures');
  return v;
}

/** The same checks in SQL, plus the ones only the database can answer. */
export async function checkInSql(q: Queryable, book: Book): Promise<string[]> {
  const v: string[] = [];
  const one = async (statement: ReturnType<typeof sql>) => Number(Object.values((await q.query<Record<string, unknown>>(statement))[0] ?? { n: 0 })[0]);
  const claimKeys = await one(sql`SELECT count(*)::int FROM idempotency_keys WHERE scope LIKE 'claim:%' AND response_status = 201`);
  const claimVouchers = await one(sql`SELECT count(*)::int FROM vouchers WHERE source = 'claim'`);
  if (claimKeys !== claimVouchers) v.push(`claims: ${claimVouchers} vouchers but ${claimKeys} keys answered 201`);
  const redeemKeys = await one(sql`SELECT count(*)::int FROM idempotency_keys WHERE scope LIKE 'merchant:%' AND response_status = 201`);
  const redemptions = await one(sql`SELECT count(*)::int FROM redemptions`);
  if (redeemKeys !== redemptions) v.push(`redemptions: ${redemptions} rows but ${redeemKeys} keys answered 201`);
  const acked = book.acked('claim').map((o) => o.id as string);
  if (acked.length > 0) {
    const found = await one(sql`SELECT count(*)::int FROM vouchers WHERE id = ANY(${`{${acked.join(',')}}`}::uuid[])`);
    if (found !== acked.length) v.push(`acknowledged claims: ${acked.length}, vouchers found ${found}`);
  }
  const orphans = await one(sql`SELECT count(*)::int FROM vouchers v WHERE NOT EXISTS (
    SELECT 1 FROM journal_entries e WHERE e.voucher_id = v.id AND e.account = 'voucher')`);
  if (orphans > 0) v.push(`${orphans} vouchers without journal entries`);
  const twice = await one(sql`SELECT count(*)::int FROM (SELECT r.voucher_id FROM redemptions r JOIN pools p ON p.id = r.pool_id
    WHERE p.value_type = 'fixed' AND r.status IN ('posted', 'pending') GROUP BY r.voucher_id HAVING count(*) > 1) x`);
  if (twice > 0) v.push(`${twice} single-use vouchers redeemed twice`);
  const over = await one(sql`SELECT count(*)::int FROM vouchers v WHERE (SELECT coalesce(sum(discount_fen), 0) FROM redemptions r
    WHERE r.voucher_id = v.id AND r.status IN ('posted', 'pending')) > v.amount_fen`);
  if (over > 0) v.push(`${over} vouchers paid out more than their amount`);
  const unbalanced = await one(sql`SELECT count(*)::int FROM pools p WHERE p.funded AND p.budget_fen <> (
    SELECT coalesce(sum(amount_fen) FILTER (WHERE account IN ('available', 'voucher', 'hold', 'spent', 'settled')), 0) FROM journal_entries e WHERE e.pool_id = p.id)`);
  if (unbalanced > 0) v.push(`${unbalanced} pools where budget ≠ available + reserved + spent`);
  const doubleSettled = await one(sql`SELECT count(*)::int FROM (SELECT redemption_id, kind FROM settlement_lines GROUP BY 1, 2 HAVING count(*) > 1) x`);
  if (doubleSettled > 0) v.push(`${doubleSettled} redemptions or reversals in more than one settlement batch`);
  return v;
}
