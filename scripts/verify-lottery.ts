/**
 * Recomputes a lottery (摇号) draw from its published data alone, with Node's own crypto,
 * so nobody has to trust the platform's SQL (docs/LOTTERY.md):
 * - the revealed seed matches the commitment published at approval: sha256(seed) = seedHash;
 * - the winners are exactly the `winnersCount` entries with the smallest
 *   HMAC-SHA256(seed, entryId), and winnersCount = min(winnersMax, number of entries).
 *
 *   npx tsx scripts/verify-lottery.ts draw.json
 *   npx tsx scripts/verify-lottery.ts --url https://host/api/v1/pools/<poolId>/lottery [--round N] [--token JWT]
 *
 * draw.json is a PublishedDraw (shared/src/lottery/lottery.types.ts). With --url the pages of
 * the entrant list are streamed: memory grows with the number of winners, not of entries.
 * Exit code 0: agree; 1: disagree; 2: the input could not be read.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LotterySummary, PublishedDraw, PublishedEntry } from '../shared/src/lottery/lottery.types';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  agree: boolean;
  checks: Check[];
}

/** HMAC-SHA256(seed, entryId) in hex; the seed's UTF-8 bytes are the key. */
export function drawKeyHex(seed: string, entryId: string): string {
  return createHmac('sha256', seed).update(entryId).digest('hex');
}

interface Ranked {
  key: string;
  id: string;
}

const before = (a: Ranked, b: Ranked): boolean => a.key < b.key || (a.key === b.key && a.id < b.id);

/** Keeps the k smallest (key, id) pairs seen: a max-heap of at most k elements. */
class SmallestK {
  private readonly heap: Ranked[] = [];
  constructor(private readonly k: number) {}

  offer(item: Ranked): void {
    if (this.k === 0) return;
    if (this.heap.length < this.k) {
      this.heap.push(item);
      this.siftUp(this.heap.length - 1);
    } else if (before(item, this.heap[0] as Ranked)) {
      this.heap[0] = item;
      this.siftDown(0);
    }
  }

  ids(): Set<string> {
    return new Set(this.heap.map((r) => r.id));
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(this.heap[parent] as Ranked, this.heap[i] as Ranked)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < this.heap.length && before(this.heap[largest] as Ranked, this.heap[l] as Ranked)) largest = l;
      if (r < this.heap.length && before(this.heap[largest] as Ranked, this.heap[r] as Ranked)) largest = r;
      if (largest === i) return;
      this.swap(i, largest);
      i = largest;
    }
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b] as Ranked, this.heap[a] as Ranked];
  }
}

export interface DrawHeader {
  seed: string;
  seedHash: string;
  entriesCount: number;
  winnersCount: number;
  winnersMax: number;
}

const sample = (ids: Iterable<string>): string => [...ids].slice(0, 5).join(', ');

/** Feed it every entry id and every published winner (any order, pages at a time), then ask for the report. */
export class DrawVerifier {
  private readonly smallest: SmallestK;
  private readonly published = new Set<string>();
  private entries = 0;
  private duplicateWinners = 0;

  constructor(private readonly header: DrawHeader) {
    this.smallest = new SmallestK(Math.max(0, header.winnersCount));
  }

  addEntry(entryId: string): void {
    this.entries++;
    this.smallest.offer({ key: drawKeyHex(this.header.seed, entryId), id: entryId });
  }

  addWinner(entryId: string): void {
    if (this.published.has(entryId)) this.duplicateWinners++;
    this.published.add(entryId);
  }

  report(extra: Check[] = []): VerifyReport {
    const h = this.header;
    const hash = createHash('sha256').update(h.seed).digest('hex');
    const expectedWinners = Math.min(h.winnersMax, this.entries);
    const computed = this.smallest.ids();
    const missing = [...computed].filter((id) => !this.published.has(id));
    const extraWinners = [...this.published].filter((id) => !computed.has(id));
    const checks: Check[] = [
      { name: 'commitment', ok: hash === h.seedHash, detail: `sha256(seed) = ${hash}, published seedHash = ${h.seedHash}` },
      { name: 'entries', ok: this.entries === h.entriesCount, detail: `${this.entries} entry ids read, ${h.entriesCount} published` },
      ...extra,
      {
        name: 'winners count', ok: h.winnersCount === expectedWinners && this.published.size + this.duplicateWinners === h.winnersCount,
        detail: `min(winnersMax ${h.winnersMax}, entries ${this.entries}) = ${expectedWinners}; published winnersCount ${h.winnersCount}; `
          + `${this.published.size} distinct winner ids listed${this.duplicateWinners ? `, ${this.duplicateWinners} listed twice` : ''}`,
      },
      {
        name: 'winner set', ok: missing.length === 0 && extraWinners.length === 0,
        detail: missing.length === 0 && extraWinners.length === 0
          ? `the ${computed.size} smallest HMAC-SHA256(seed, entryId) are exactly the published winners`
          : `should have won but not listed: ${missing.length} (${sample(missing)}); listed but should not have won: ${extraWinners.length} (${sample(extraWinners)})`,
      },
    ];
    return { agree: checks.every((c) => c.ok), checks };
  }
}

function assertPublishedDraw(d: unknown): asserts d is PublishedDraw {
  const x = d as Record<string, unknown>;
  const problems: string[] = [];
  for (const f of ['seed', 'seedHash']) if (typeof x?.[f] !== 'string' || (x[f] as string).length === 0) problems.push(`${f} must be a non-empty string (is the round drawn?)`);
  for (const f of ['entriesCount', 'winnersCount', 'winnersMax']) if (!Number.isSafeInteger(x?.[f]) || (x[f] as number) < 0) problems.push(`${f} must be a whole number`);
  for (const f of ['entryIds', 'winners']) if (!Array.isArray(x?.[f]) || !(x[f] as unknown[]).every((v) => typeof v === 'string')) problems.push(`${f} must be a list of entry ids`);
  if (problems.length > 0) throw new Error(`not a published draw: ${problems.join('; ')}`);
}

/** Verifies a whole published draw held in memory (a file). */
export function verifyDraw(draw: PublishedDraw): VerifyReport {
  assertPublishedDraw(draw);
  const verifier = new DrawVerifier(draw);
  const seen = new Set<string>();
  let duplicates = 0;
  for (const id of draw.entryIds) {
    if (seen.has(id)) duplicates++;
    seen.add(id);
    verifier.addEntry(id);
  }
  for (const id of draw.winners) verifier.addWinner(id);
  return verifier.report([{ name: 'entries unique', ok: duplicates === 0, detail: `${duplicates} entry id(s) listed more than once` }]);
}

/** Builds the file form from what the API serves: GET …/lottery and every page of GET …/lottery/entries. */
export function publishedDrawFrom(summary: LotterySummary, entries: PublishedEntry[]): PublishedDraw {
  if (summary.seed === null || summary.winnersCount === null || summary.winnersMax === null) {
    throw new Error(`round ${summary.round} of pool ${summary.poolId} is not drawn yet`);
  }
  return {
    poolId: summary.poolId, round: summary.round, seedHash: summary.seedHash, seed: summary.seed,
    entriesCount: summary.entriesCount, winnersCount: summary.winnersCount, winnersMax: summary.winnersMax,
    entryIds: entries.map((e) => e.entryId), winners: entries.filter((e) => e.result === 'won').map((e) => e.entryId),
  };
}

const FETCH_TIMEOUT_MS = 30_000;
const PAGE_SIZE = 1000;

async function getJson<T>(url: URL, token: string | undefined, fetchImpl: typeof fetch): Promise<T> {
  const res = await fetchImpl(url, {
    headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`GET ${url.pathname}${url.search}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Streams a drawn round from the API (`lotteryUrl` = …/api/v1/pools/<poolId>/lottery) and verifies it. */
export async function fetchAndVerify(
  lotteryUrl: string, opts: { round?: number; token?: string; fetchImpl?: typeof fetch } = {},
): Promise<VerifyReport> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const summaryUrl = new URL(lotteryUrl);
  if (opts.round !== undefined) summaryUrl.searchParams.set('round', String(opts.round));
  const summary = await getJson<LotterySummary>(summaryUrl, opts.token, fetchImpl);
  if (summary.seed === null || summary.winnersCount === null || summary.winnersMax === null) {
    throw new Error(`round ${summary.round} is ${summary.status}: nothing to verify until it is drawn`);
  }
  const verifier = new DrawVerifier({ ...summary, seed: summary.seed, winnersCount: summary.winnersCount, winnersMax: summary.winnersMax });
  const pagesMax = Math.ceil(summary.entriesCount / PAGE_SIZE) + 1;
  let cursor: string | null = null;
  let previous = '';
  let ordered = true;
  for (let page = 0; page === 0 || cursor !== null; page++) {
    if (page >= pagesMax) throw new Error(`more than ${pagesMax} pages for ${summary.entriesCount} entries`);
    const url = new URL(`${summaryUrl.origin}${summaryUrl.pathname.replace(/\/$/, '')}/entries`);
    url.searchParams.set('round', String(summary.round));
    url.searchParams.set('limit', String(PAGE_SIZE));
    if (cursor) url.searchParams.set('cursor', cursor);
    const body: { items: PublishedEntry[]; nextCursor: string | null } = await getJson(url, opts.token, fetchImpl);
    for (const e of body.items) {
      if (e.entryId <= previous) ordered = false;
      previous = e.entryId;
      verifier.addEntry(e.entryId);
      if (e.result === 'won') verifier.addWinner(e.entryId);
    }
    cursor = body.nextCursor;
  }
  return verifier.report([{ name: 'entries unique', ok: ordered, detail: ordered ? 'pages ascend strictly by entry id' : 'an entry id repeats or pages are out of order' }]);
}

function printReport(report: VerifyReport): void {
  for (const c of report.checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
  console.log(report.agree ? 'agree: the draw is exactly what the published seed and entries give' : 'disagree: the published draw does not follow from its seed and entries');
}

async function main(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const url = flag('--url');
  const round = flag('--round');
  const file = argv.find((a, i) => !a.startsWith('--') && !['--url', '--round', '--token'].includes(argv[i - 1] ?? ''));
  if (!url && !file) {
    console.error('usage: verify-lottery <draw.json> | --url <…/api/v1/pools/<poolId>/lottery> [--round N] [--token JWT]');
    return 2;
  }
  const report = url
    ? await fetchAndVerify(url, { ...(round !== undefined ? { round: Number(round) } : {}), token: flag('--token') ?? process.env.HQT_TOKEN })
    : verifyDraw(JSON.parse(readFileSync(file as string, 'utf8')) as PublishedDraw);
  printReport(report);
  return report.agree ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { console.error(`verify-lottery: ${(err as Error).message}`); process.exitCode = 2; },
  );
}
