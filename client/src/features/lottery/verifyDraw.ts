/**
 * Recomputes a published draw in the browser with WebCrypto, as docs/LOTTERY.md §5 describes
 * and scripts/verify-lottery.ts does with Node: (1) sha256(seed) is the commitment, (2) the
 * list has entriesCount distinct entries, (3) winnersCount = min(winnersMax, entriesCount)
 * winners are listed, (4) they are exactly the entries with the smallest HMAC-SHA256(seed, entryId).
 */
import type { LotterySummary, PublishedDraw, PublishedEntry } from '@hqt/shared';
import { lotteryApi } from './lotteryApi';

/** Beyond this many entries the browser check stops and points to the script. */
export const VERIFY_ENTRIES_MAX = 100_000;
const PAGES_MAX = 200;

export interface DrawCheck {
  seedMatches: boolean;
  countMatches: boolean;
  unique: boolean;
  winnersCountMatches: boolean;
  winnersMatch: boolean;
  entries: number;
  winners: number;
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Every published entry of a drawn round, page by page; null when there are too many for a browser. */
export async function fetchAllEntries(poolId: string, round: number, signal?: AbortSignal): Promise<PublishedEntry[] | null> {
  const all: PublishedEntry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const answer = await lotteryApi.entries(poolId, cursor === undefined ? { round } : { round, cursor }, signal);
    all.push(...answer.items);
    if (all.length > VERIFY_ENTRIES_MAX) return null;
    if (answer.nextCursor === null) return all;
    cursor = answer.nextCursor;
  }
  return null;
}

export async function checkDraw(summary: LotterySummary, entries: readonly PublishedEntry[]): Promise<DrawCheck> {
  if (summary.seed === null) throw new Error('assertion: the round is not drawn');
  const seedMatches = (await sha256Hex(summary.seed)) === summary.seedHash;
  const ids = entries.map((e) => e.entryId);
  const unique = new Set(ids).size === ids.length;
  const listedWinners = entries.filter((e) => e.result === 'won').map((e) => e.entryId);
  const expectedWinners = Math.min(summary.winnersMax ?? 0, summary.entriesCount);
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(summary.seed), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const ranked = await Promise.all(
    ids.map(async (id) => ({ id, mac: hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(id))) })),
  );
  ranked.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const recomputed = new Set(ranked.slice(0, listedWinners.length).map((r) => r.id));
  return {
    seedMatches,
    countMatches: ids.length === summary.entriesCount,
    unique,
    winnersCountMatches: listedWinners.length === expectedWinners && summary.winnersCount === listedWinners.length,
    winnersMatch: listedWinners.every((id) => recomputed.has(id)),
    entries: ids.length,
    winners: listedWinners.length,
  };
}

/** The draw as scripts/verify-lottery.ts reads it from a file. */
export function publishedDraw(summary: LotterySummary, entries: readonly PublishedEntry[]): PublishedDraw {
  return {
    poolId: summary.poolId,
    round: summary.round,
    seedHash: summary.seedHash,
    seed: summary.seed ?? '',
    entriesCount: summary.entriesCount,
    winnersCount: summary.winnersCount ?? 0,
    winnersMax: summary.winnersMax ?? 0,
    entryIds: entries.map((e) => e.entryId),
    winners: entries.filter((e) => e.result === 'won').map((e) => e.entryId),
  };
}
