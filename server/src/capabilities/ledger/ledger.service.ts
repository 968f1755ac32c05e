/**
 * The ONLY writer of journal entries and of the live balances: a pool's available, a
 * voucher's balance and hold. Every method runs inside the caller's transaction, so the state
 * change and its journal entries commit or roll back together. docs/LEDGER.md lists the
 * accounts and every movement.
 */
import type { Queryable } from '../../platform/db';
import * as repo from './ledger.repository';
import type { JournalEntry, JournalTxn } from './ledger.types';

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

/** Writes balanced journal transactions, their entries and their rollups: one statement, one round trip. */
export async function post(tx: Queryable, txns: JournalTxn[]): Promise<void> {
  if (txns.length === 0) return;
  txns.forEach(assertBalanced);
  const entries = txns.reduce((n, t) => n + t.entries.length, 0);
  const written = await repo.insertJournal(tx, txns, repo.sortDeltas(rollupDeltas(txns)));
  if (written.txns !== txns.length || written.entries !== entries) {
    throw new Error(`assertion: journal wrote ${written.txns}/${txns.length} transactions, ${written.entries}/${entries} entries`);
  }
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

/**
 * The claim batch's reservation: as many vouchers of `amountFen` as fit, up to `count`, in
 * ONE conditional UPDATE. `granted` of them were reserved; null when the pool is not funded
 * (or, with `openOnly`, not scheduled or open).
 */
export async function reserveUpTo(
  tx: Queryable, poolId: string, amountFen: number, count: number, openOnly: boolean,
): Promise<{ granted: number; availableAfterFen: number } | null> {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) throw new Error(`assertion: bad amount ${amountFen}`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`assertion: bad count ${count}`);
  const taken = await repo.takeUpTo(tx, poolId, amountFen, count, openOnly);
  if (!taken) return null;
  if (taken.granted < 0 || taken.granted > count) throw new Error(`assertion: granted ${taken.granted} of ${count}`);
  return { granted: taken.granted, availableAfterFen: taken.available_after_fen };
}

/**
 * Takes `totalFen` from a funded pool's available in ONE conditional UPDATE, all or nothing;
 * with `openOnly` the pool must be scheduled or open. Returns what is left, or null.
 */
export function reserveAll(tx: Queryable, poolId: string, totalFen: number, openOnly: boolean): Promise<number | null> {
  if (!Number.isSafeInteger(totalFen) || totalFen <= 0) throw new Error(`assertion: bad amount ${totalFen}`);
  return repo.takeAll(tx, poolId, totalFen, openOnly);
}

/** A pool's committed available budget (no lock); null when it is not funded. */
export function availableOf(q: Queryable, poolId: string): Promise<number | null> {
  return repo.availableOf(q, poolId);
}

/**
 * The journal of a batch of vouchers issued at once: ONE transaction, available −Σ and
 * each voucher +its amount (N + 1 entries). `refId` names the batch.
 */
export function issueBatchEntries(poolId: string, vouchers: { id: string; amountFen: number }[], at: Date, refId: string): JournalTxn {
  const totalFen = vouchers.reduce((sum, v) => sum + v.amountFen, 0);
  if (!Number.isSafeInteger(totalFen)) throw new Error(`assertion: batch total ${totalFen} is not a safe integer`);
  return {
    kind: 'issue', poolId, refType: 'voucher_batch', refId, at,
    entries: [
      { account: 'available', amountFen: -totalFen },
      ...vouchers.map((v) => ({ account: 'voucher' as const, amountFen: v.amountFen, voucherId: v.id })),
    ],
  };
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

// ---- redemption: the movements on a voucher's balance and hold ----

/** One movement of a redemption's discount between a voucher and a merchant. */
export interface VoucherMovement {
  poolId: string;
  voucherId: string;
  merchantId: string;
  amountFen: number;
  /** the redemption (or reversal) the journal transaction refers to */
  refType: 'redemption' | 'reversal';
  refId: string;
  at: Date;
}

export interface VoucherAfter {
  balanceFen: number;
  heldFen: number;
  status: repo.VoucherBalances['status'];
}

function assertMovement(m: VoucherMovement): void {
  if (!Number.isSafeInteger(m.amountFen) || m.amountFen <= 0) throw new Error(`assertion: bad movement amount ${m.amountFen}`);
}

function afterOf(v: repo.VoucherBalances, poolId: string): VoucherAfter {
  if (v.pool_id !== poolId) throw new Error(`assertion: voucher belongs to pool ${v.pool_id}, not ${poolId}`);
  return { balanceFen: v.balance_fen, heldFen: v.held_fen, status: v.status };
}

function movementTxn(m: VoucherMovement, kind: JournalTxn['kind'], from: JournalEntry, to: JournalEntry): JournalTxn {
  return { kind, poolId: m.poolId, refType: m.refType, refId: m.refId, at: m.at, entries: [from, to] };
}

/** When a single-use voucher is spent by a smaller discount, the rest goes back to the pool. */
async function releaseRemainder(tx: Queryable, m: VoucherMovement, remainderFen: number): Promise<JournalTxn[]> {
  if (remainderFen < 0) throw new Error(`assertion: negative remainder ${remainderFen}`);
  if (remainderFen === 0) return [];
  await repo.returnToAvailable(tx, m.poolId, remainderFen);
  return [movementTxn(m, 'release', { account: 'voucher', amountFen: -remainderFen, voucherId: m.voucherId },
    { account: 'available', amountFen: remainderFen })];
}

/**
 * Direct redemption: voucher → spent(merchant), with ONE conditional UPDATE of the voucher.
 * Null when the voucher is not active, not valid now, or short of the amount.
 */
export async function redeem(tx: Queryable, m: VoucherMovement & { singleUse: boolean }): Promise<VoucherAfter | null> {
  assertMovement(m);
  const v = await repo.takeFromVoucher(tx, m.voucherId, m.amountFen, m.singleUse, m.at);
  if (!v) return null;
  const after = afterOf(v, m.poolId);
  const txns = [movementTxn(m, 'redeem', { account: 'voucher', amountFen: -m.amountFen, voucherId: m.voucherId },
    { account: 'spent', amountFen: m.amountFen, merchantId: m.merchantId })];
  if (m.singleUse) txns.push(...(await releaseRemainder(tx, m, v.before_balance_fen - m.amountFen)));
  await post(tx, txns);
  return after;
}

/** B2B submission: voucher → hold (balance −= d, held += d in one statement). Null as for `redeem`. */
/**
 * The batch form of `redeem` (the redemption batcher): every movement voucher → spent in one
 * conditional UPDATE and one journal statement. All or nothing: null when any voucher refuses
 * (the caller rolls the batch back). Single-use vouchers must be taken whole (no remainder).
 */
export async function redeemMany(tx: Queryable, moves: (VoucherMovement & { singleUse: boolean })[]): Promise<Map<string, VoucherAfter> | null> {
  if (moves.length === 0) return new Map();
  moves.forEach(assertMovement);
  const at = moves[0]!.at;
  if (moves.some((m) => m.at.getTime() !== at.getTime())) throw new Error('assertion: a redemption batch has one instant');
  if (new Set(moves.map((m) => m.voucherId)).size !== moves.length) throw new Error('assertion: a voucher twice in one redemption batch');
  const taken = await repo.takeFromVouchers(tx, moves.map((m) => ({ voucherId: m.voucherId, amountFen: m.amountFen, singleUse: m.singleUse })), at);
  if (taken.length !== moves.length) return null;
  const byId = new Map(taken.map((v) => [v.id, v]));
  const after = new Map<string, VoucherAfter>();
  for (const m of moves) after.set(m.voucherId, afterOf(byId.get(m.voucherId) as repo.VoucherBalances, m.poolId));
  await post(tx, moves.map((m) => movementTxn(m, 'redeem', { account: 'voucher', amountFen: -m.amountFen, voucherId: m.voucherId },
    { account: 'spent', amountFen: m.amountFen, merchantId: m.merchantId })));
  return after;
}

export async function hold(tx: Queryable, m: VoucherMovement & { singleUse: boolean }): Promise<VoucherAfter | null> {
  assertMovement(m);
  const v = await repo.holdOnVoucher(tx, m.voucherId, m.amountFen, m.singleUse, m.at);
  if (!v) return null;
  await post(tx, [movementTxn(m, 'hold', { account: 'voucher', amountFen: -m.amountFen, voucherId: m.voucherId },
    { account: 'hold', amountFen: m.amountFen, voucherId: m.voucherId })]);
  return afterOf(v, m.poolId);
}

/** The holder confirms: hold → spent(merchant). The caller owns the pending state, so a miss is a bug. */
export async function confirmHold(tx: Queryable, m: VoucherMovement & { singleUse: boolean }): Promise<VoucherAfter> {
  assertMovement(m);
  const v = await repo.postHold(tx, m.voucherId, m.amountFen, m.singleUse, m.at);
  if (!v) throw new Error(`assertion: voucher ${m.voucherId} does not hold ${m.amountFen}`);
  const txns = [movementTxn(m, 'hold_confirm', { account: 'hold', amountFen: -m.amountFen, voucherId: m.voucherId },
    { account: 'spent', amountFen: m.amountFen, merchantId: m.merchantId })];
  if (m.singleUse) txns.push(...(await releaseRemainder(tx, m, v.before_balance_fen)));
  await post(tx, txns);
  return afterOf(v, m.poolId);
}

/** The holder rejects, or the hold times out: hold → voucher. */
export async function voidHold(tx: Queryable, m: VoucherMovement): Promise<VoucherAfter> {
  assertMovement(m);
  const v = await repo.releaseHold(tx, m.voucherId, m.amountFen, m.at);
  if (!v) throw new Error(`assertion: voucher ${m.voucherId} does not hold ${m.amountFen}`);
  await post(tx, [movementTxn(m, 'hold_void', { account: 'hold', amountFen: -m.amountFen, voucherId: m.voucherId },
    { account: 'voucher', amountFen: m.amountFen, voucherId: m.voucherId })]);
  return afterOf(v, m.poolId);
}

/**
 * Reverses a posted redemption: spent(merchant) → voucher while the voucher is still valid
 * (a spent fixed voucher is reactivated), else spent(merchant) → available of the pool.
 */
export async function reverse(tx: Queryable, m: VoucherMovement): Promise<{ destination: 'voucher' | 'available'; voucher: VoucherAfter | null }> {
  assertMovement(m);
  const spent: JournalEntry = { account: 'spent', amountFen: -m.amountFen, merchantId: m.merchantId };
  const v = await repo.restoreToVoucher(tx, m.voucherId, m.amountFen, m.at);
  if (v) {
    await post(tx, [movementTxn(m, 'reverse', spent, { account: 'voucher', amountFen: m.amountFen, voucherId: m.voucherId })]);
    return { destination: 'voucher', voucher: afterOf(v, m.poolId) };
  }
  await repo.returnToAvailable(tx, m.poolId, m.amountFen);
  await post(tx, [movementTxn(m, 'reverse', spent, { account: 'available', amountFen: m.amountFen })]);
  return { destination: 'available', voucher: null };
}

/**
 * Expires up to `limit` vouchers past validity with no pending hold: each remaining balance
 * goes voucher → available, the pools' available rises by the sums. One batch, one
 * transaction (the caller's).
 */
export async function expireDueVouchers(tx: Queryable, at: Date, limit: number): Promise<{ expired: number; releasedFen: number }> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new Error(`assertion: batch limit ${limit} outside 1..500`);
  const closed = await repo.expireDue(tx, at, limit);
  const perPool = new Map<string, number>();
  const txns: JournalTxn[] = [];
  for (const c of closed) {
    if (c.old_balance_fen === 0) continue;
    perPool.set(c.pool_id, (perPool.get(c.pool_id) ?? 0) + c.old_balance_fen);
    txns.push({ kind: 'release', poolId: c.pool_id, refType: 'expiry', refId: c.id, at, entries: [
      { account: 'voucher', amountFen: -c.old_balance_fen, voucherId: c.id },
      { account: 'available', amountFen: c.old_balance_fen },
    ] });
  }
  await repo.returnManyToAvailable(tx, perPool);
  await post(tx, txns);
  return { expired: closed.length, releasedFen: [...perPool.values()].reduce((s, x) => s + x, 0) };
}
