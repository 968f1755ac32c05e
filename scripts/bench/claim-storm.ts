/**
 * claim-storm: a pool of 200,000 vouchers, 400,000 distinct holders with pre-issued tokens,
 * 2,000 connections claiming until every holder has tried once (the pool sells out halfway).
 * Reports successes/s, sold-out/s, p50 and p99 against the bare express hello measured in
 * the same run, and checks the stored state. Also serves `embedded` (PGlite) and WORKERS=N.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { reconcile } from '../../server/src/capabilities/ledger';
import { load, round, type LoadResult } from './lib';
import { VOUCHER_FEN } from './setup';

export interface StormResult {
  load: LoadResult;
  successes: number;
  soldOut: number;
  otherCodes: Record<string, number>;
  successPhaseS: number;
  soldOutPhaseS: number;
  successesPerS: number;
  soldOutPerS: number;
  /** how long after the first sold-out answer the last success arrived (same-batch answers arrive together) */
  lastSuccessAfterFirstSoldOutMs: number;
}

/** Every token claims once, `connections` at a time. */
export async function storm(base: string, poolId: string, tokens: string[], connections: number, tag: string, serverPid?: number): Promise<StormResult> {
  let next = 0;
  let successes = 0;
  let soldOut = 0;
  const otherCodes: Record<string, number> = {};
  let lastSuccess = 0;
  let firstSoldOut = Number.POSITIVE_INFINITY;
  let lastAnswer = 0;
  const path = `/api/v1/pools/${poolId}/claims`;
  const t0 = performance.now();
  const result = await load({
    url: base, connections, amount: tokens.length,
    requests: [{
      method: 'POST',
      setupRequest: (req) => {
        const i = next++ % tokens.length;
        return {
          ...req, method: 'POST', path, body: '{}',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}`, 'idempotency-key': `${tag}-${i.toString(36).padStart(8, '0')}` },
        };
      },
      onResponse: (status, body) => {
        const at = performance.now();
        lastAnswer = at;
        if (status === 201) {
          successes++;
          lastSuccess = at;
        } else if (status === 409 && body.includes('"POOL_EXHAUSTED"')) {
          soldOut++;
          if (at < firstSoldOut) firstSoldOut = at;
        } else {
          const code = /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? String(status);
          otherCodes[code] = (otherCodes[code] ?? 0) + 1;
        }
      },
    }],
  }, serverPid);
  const successPhaseS = (lastSuccess - t0) / 1000;
  const soldOutPhaseS = Number.isFinite(firstSoldOut) ? (lastAnswer - firstSoldOut) / 1000 : 0;
  return {
    load: result, successes, soldOut, otherCodes, successPhaseS: round(successPhaseS, 2), soldOutPhaseS: round(soldOutPhaseS, 2),
    successesPerS: round(successes / successPhaseS), soldOutPerS: soldOutPhaseS > 0 ? round(soldOut / soldOutPhaseS) : 0,
    lastSuccessAfterFirstSoldOutMs: Number.isFinite(firstSoldOut) ? round(Math.max(0, lastSuccess - firstSoldOut)) : 0,
  };
}

export interface StormChecks {
  issued: number;
  expectedIssued: number;
  exactlyIssued: boolean;
  maxPerHolder: number;
  noHolderOverLimit: boolean;
  /** 201 answers = stored vouchers; a request the client gave up on (timeout, reset) may have been stored unheard, so with such requests: answers ≤ stored ≤ answers + unanswered */
  successRepliesEqualStored: boolean;
  unanswered: number;
  poolExhausted: boolean;
  /** sold-out answers only once the pool was exhausted: no success arrives later than its own batch could (500 ms) */
  noSoldOutWhileBudgetRemained: boolean;
  reconcileClean: boolean;
  reconcileDifferences: number;
  pass: boolean;
}

export async function checkStorm(db: Db, poolId: string, r: StormResult, capacity: number): Promise<StormChecks> {
  const [row] = await db.query<{ n: number; max_per_holder: number; available_fen: number }>(sql`
    SELECT (SELECT count(*) FROM vouchers WHERE pool_id = ${poolId})::int AS n,
           (SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c FROM vouchers WHERE pool_id = ${poolId} GROUP BY holder_id) x)::int AS max_per_holder,
           (SELECT available_fen FROM pools WHERE id = ${poolId}) AS available_fen`);
  const report = await reconcile(db, systemClock, {});
  const unanswered = r.load.errors; // autocannon counts a timeout as an error too
  const checks = {
    issued: row!.n, expectedIssued: capacity, exactlyIssued: row!.n === capacity, maxPerHolder: row!.max_per_holder,
    noHolderOverLimit: row!.max_per_holder <= 1, successRepliesEqualStored: unanswered === 0 ? r.successes === row!.n : r.successes <= row!.n && row!.n <= r.successes + unanswered,
    unanswered,
    poolExhausted: row!.available_fen < VOUCHER_FEN, noSoldOutWhileBudgetRemained: r.lastSuccessAfterFirstSoldOutMs <= 500,
    reconcileClean: report.ok, reconcileDifferences: report.differences.length,
  };
  return { ...checks, pass: Object.entries(checks).every(([k, v]) => typeof v !== 'boolean' || v || k === 'pass') };
}
