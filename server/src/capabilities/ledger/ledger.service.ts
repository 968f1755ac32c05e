/**
 * The ONLY writer of journal entries and of the live balances (pool available, and the
 * movements on it). Every method runs inside the caller's transaction, so the state change
 * and its journal entries commit or roll back together.
 */
import type { Queryable } from '../../platform/db';
import * as repo from './ledger.repository';
import type { JournalTxn } from './ledger.types';

function assertBalanced(txn: JournalTxn): void {
  if (txn.entries.length < 2) throw new Error(`assertion: journal ${txn.kind} needs at least two entries`);
  let sum = 0;
  for (const e of txn.entries) {
    if (!Number.isSafeInteger(e.amountFen) || e.amountFen === 0) throw new Error(`assertion: bad amount ${e.amountFen}`);
    sum += e.amountFen;
  }
  if (sum !== 0) throw new Error(`assertion: journal ${txn.kind} does not balance (${sum})`);
}

/** Rollups hold every account but the per-voucher ones, which aggregate per pool. */
function rollupDeltas(txns: JournalTxn[]): repo.RollupDelta[] {
  const byKey = new Map<string, repo.RollupDelta>();
  for (const t of txns) {
    for (const e of t.entries) {
      const merchantId = e.merchantId ?? repo.NO_MERCHANT;
      const key = `${t.poolId}|${e.account}|${merchantId}`;
      const d = byKey.get(key) ?? { poolId: t.poolId, account: e.account, merchantId, amountFen: 0 };
      d.amountFen += e.amountFen;
      byKey.set(key, d);
    }
  }
  return [...byKey.values()].filter((d) => d.amountFen !== 0);
}

/** Writes balanced journal transactions and their rollups. */
export async function post(tx: Queryable, txns: JournalTxn[]): Promise<void> {
  if (txns.length === 0) return;
  txns.forEach(assertBalanced);
  const ids = await repo.nextTxnIds(tx, txns.length);
  await repo.insertTransactions(tx, ids, txns);
  await repo.insertEntries(tx, ids, txns);
  await repo.addToRollups(tx, rollupDeltas(txns));
}

/** Funds an approved pool: budget → available. */
export async function fundPool(tx: Queryable, poolId: string, at: Date): Promise<void> {
  const budgetFen = await repo.fund(tx, poolId);
  if (budgetFen === 0) return;
  await post(tx, [{ kind: 'fund', poolId, refType: 'pool', refId: poolId, at, entries: [
    { account: 'budget', amountFen: -budgetFen },
    { account: 'available', amountFen: budgetFen },
  ] }]);
}

/** Applies an approved budget change; false when a decrease would take available below zero. */
export async function changeBudget(tx: Queryable, poolId: string, deltaFen: number, changeId: string, at: Date): Promise<boolean> {
  if (!(await repo.changeBudget(tx, poolId, deltaFen))) return false;
  await post(tx, [{ kind: 'budget_change', poolId, refType: 'budget_change', refId: changeId, at, entries: [
    { account: 'budget', amountFen: -deltaFen },
    { account: 'available', amountFen: deltaFen },
  ] }]);
  return true;
}

/** Takes from a pool's available budget (one conditional UPDATE); false when not enough is left. */
export function reserve(tx: Queryable, poolId: string, amountFen: number): Promise<boolean> {
  return repo.takeFromAvailable(tx, poolId, amountFen);
}

/** The journal of issuing vouchers whose amounts were reserved: available → voucher. */
export function issueEntries(poolId: string, vouchers: { id: string; amountFen: number }[], at: Date): JournalTxn[] {
  return vouchers.map((v) => ({
    kind: 'issue' as const, poolId, refType: 'voucher', refId: v.id, at,
    entries: [
      { account: 'available' as const, amountFen: -v.amountFen },
      { account: 'voucher' as const, amountFen: v.amountFen, voucherId: v.id },
    ],
  }));
}

/** Returns a voucher's remaining balance to the pool (expiry, revocation): voucher → available. */
export async function releaseToPool(tx: Queryable, poolId: string, voucherId: string, amountFen: number, at: Date, reason: string): Promise<void> {
  if (amountFen === 0) return;
  await repo.returnToAvailable(tx, poolId, amountFen);
  await post(tx, [{ kind: 'release', poolId, refType: reason, refId: voucherId, at, entries: [
    { account: 'voucher', amountFen: -amountFen, voucherId },
    { account: 'available', amountFen },
  ] }]);
}

export { poolSums } from './ledger.repository';

/** Revokes or expires a voucher: its remaining balance returns to the pool's available. */
export async function closeVoucher(
  tx: Queryable, voucherId: string, status: 'revoked' | 'expired', at: Date, reason: string | null = null,
): Promise<{ poolId: string; releasedFen: number } | null> {
  const closed = await repo.closeVoucher(tx, voucherId, status, at, reason);
  if (!closed) return null;
  await releaseToPool(tx, closed.pool_id, voucherId, closed.old_balance_fen, at, status === 'revoked' ? 'revoke' : 'expiry');
  return { poolId: closed.pool_id, releasedFen: closed.old_balance_fen };
}
