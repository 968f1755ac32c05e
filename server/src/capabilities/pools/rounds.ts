/**
 * Owns the rounds of a pool (DESIGN.md, Pool: `rounds`, `reissueUnused`), for the lottery
 * (entries per round, docs/LOTTERY.md) and first-come claims (a budget share per round,
 * docs/ISSUANCE.md): a pool without `rounds` has one round (0), its claim window; otherwise
 * round i is `rounds[i]`. A round takes entries or claims while its window contains now and
 * the pool is scheduled or open.
 */
import type { PoolRow } from './pools.repository';

export interface RoundWindow {
  round: number;
  opensAt: Date;
  closesAt: Date;
}

export function roundWindows(pool: PoolRow): RoundWindow[] {
  if (pool.rounds.length === 0) {
    return [{ round: 0, opensAt: new Date(pool.claim_opens_at), closesAt: new Date(pool.claim_closes_at) }];
  }
  return pool.rounds.map((r, i) => ({ round: i, opensAt: new Date(r.opensAt), closesAt: new Date(r.closesAt) }));
}

const inWindow = (w: RoundWindow, now: Date): boolean => w.opensAt <= now && now < w.closesAt;
const byClose = (a: RoundWindow, b: RoundWindow): number => a.closesAt.getTime() - b.closesAt.getTime() || a.round - b.round;

/** The round taking entries now, or null. Overlapping rounds (a configuration slip) resolve to the one closing first. */
export function openRound(pool: PoolRow, now: Date): RoundWindow | null {
  if (pool.status !== 'scheduled' && pool.status !== 'open') return null;
  return roundWindows(pool).filter((w) => inWindow(w, now)).sort(byClose)[0] ?? null;
}

/** The first round opening after now, or null when none is left (the answer to "when can I claim again?"). */
export function nextRound(pool: PoolRow, now: Date): RoundWindow | null {
  const later = roundWindows(pool).filter((w) => w.opensAt > now);
  return later.sort((a, b) => a.opensAt.getTime() - b.opensAt.getTime() || a.round - b.round)[0] ?? null;
}

/** The round a reader most likely means: the one in its window, else the last one closed, else the next one. */
export function currentRound(pool: PoolRow, now: Date): RoundWindow {
  const windows = roundWindows(pool).sort(byClose);
  const running = windows.find((w) => inWindow(w, now));
  if (running) return running;
  const closed = windows.filter((w) => w.closesAt <= now);
  return closed[closed.length - 1] ?? (windows[0] as RoundWindow);
}

/**
 * The part of the available budget a round may issue. One round: all of it. Several rounds
 * with `reissueUnused`: an equal share of what is left, so unused budget rolls into the
 * rounds after. Without it: at most an equal share of the budget per round.
 */
export function roundShareFen(pool: PoolRow, round: number, availableFen: number): number {
  const windows = roundWindows(pool);
  if (windows.length === 1) return availableFen;
  const me = windows[round];
  if (!me) throw new Error(`assertion: pool ${pool.id} has no round ${round}`);
  if (!pool.reissue_unused) return Math.min(availableFen, Math.floor(pool.budget_fen / windows.length));
  const left = windows.filter((w) => w.closesAt >= me.closesAt).length;
  return Math.floor(availableFen / left);
}
