/**
 * Idempotency keys with Stripe's semantics. The key row is written in the same transaction
 * as the effect, so:
 * - a replay returns the stored answer, 2xx and 4xx alike;
 * - the same key with another request answers 409 IDEMPOTENCY_CONFLICT;
 * - a concurrent duplicate blocks on the key's unique index until the first commits, then
 *   replays its answer: exactly one executes;
 * - a crash before commit leaves nothing behind, so a retry executes afresh;
 * - a refusal (4xx) rolls the effect's transaction back whole and is then stored in a short
 *   transaction of its own (first stored answer wins), so the common, successful path needs
 *   no savepoint;
 * - where a success's body is large and derived from a row the effect wrote, an `AnswerCodec`
 *   stores a reference to that row instead, and a replay renders the body from it again
 *   (the claim stores its voucher's id: docs/ISSUANCE.md, Idempotent claims).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../capabilities/audit';
import { sql, type Db, type Queryable } from '../platform/db';
import type { Clock } from '../platform/clock';
import { HttpProblem } from './problem';

export interface StoredAnswer {
  status: number;
  body: unknown;
  replayed: boolean;
}

interface KeyRow {
  fingerprint: string;
  response_status: number;
  response_body: unknown;
}

export function fingerprintOf(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * Stores a smaller form of an answer's body and turns it back into a body on a replay (in
 * the replay's transaction). `fromStored` must accept every form `toStored` ever wrote, and
 * bodies stored whole before the codec existed.
 */
export interface AnswerCodec {
  toStored(status: number, body: unknown): unknown;
  fromStored(q: Queryable, status: number, stored: unknown): Promise<unknown>;
}

/** A refusal (4xx) inside the effect: its transaction rolls back whole, and the refusal is stored on its own. */
class Refused extends Error {
  constructor(readonly problem: HttpProblem) {
    super(problem.message);
  }
}

export async function idempotent(
  db: Db, clock: Clock, scope: string, key: string, request: unknown,
  run: (tx: Queryable) => Promise<{ status: number; body: unknown }>, codec?: AnswerCodec,
): Promise<StoredAnswer> {
  const fingerprint = fingerprintOf(request);
  const replay = async (tx: Queryable): Promise<StoredAnswer> => {
    const [prior] = await tx.query<KeyRow>(sql`
      SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE scope = ${scope} AND key = ${key}`);
    if (!prior) throw new HttpProblem('IDEMPOTENCY_IN_PROGRESS');
    if (prior.fingerprint !== fingerprint) throw new HttpProblem('IDEMPOTENCY_CONFLICT');
    const body = codec ? await codec.fromStored(tx, prior.response_status, prior.response_body) : prior.response_body;
    return { status: prior.response_status, body, replayed: true };
  };
  try {
    return await db.transaction(async (tx) => {
      const claimed = await tx.query(sql`
        INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at)
        VALUES (${scope}, ${key}, ${fingerprint}, 202, '{}'::jsonb, ${clock.now().toISOString()})
        ON CONFLICT (scope, key) DO NOTHING RETURNING key`);
      if (claimed.length === 0) return replay(tx);
      let answer: { status: number; body: unknown };
      try {
        answer = await run(tx);
      } catch (err) {
        if (err instanceof HttpProblem && err.status < 500) throw new Refused(err);
        throw err;
      }
      await tx.query(sql`UPDATE idempotency_keys SET response_status = ${answer.status},
        response_body = ${JSON.stringify(codec ? codec.toStored(answer.status, answer.body) : answer.body)}::jsonb WHERE scope = ${scope} AND key = ${key}`);
      return { status: answer.status, body: answer.body, replayed: false };
    });
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    // The effect's transaction rolled back whole (no savepoint on the common path, one round
    // trip fewer). The refusal is stored in a transaction of its own; if another request with
    // this key stored its answer meanwhile, that first answer stands and is replayed.
    const answer = { status: err.problem.status, body: err.problem.toJSON() };
    return db.transaction(async (tx) => {
      const stored = await tx.query(sql`
        INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at)
        VALUES (${scope}, ${key}, ${fingerprint}, ${answer.status}, ${JSON.stringify(answer.body)}::jsonb, ${clock.now().toISOString()})
        ON CONFLICT (scope, key) DO NOTHING RETURNING key`);
      return stored.length === 1 ? { status: answer.status, body: answer.body, replayed: false } : replay(tx);
    });
  }
}

// ---- the batch forms (the claim batcher): many keys in one statement, in the batch's transaction ----

export interface KeyRef {
  scope: string;
  key: string;
}

/** Which of these keys are already stored (committed); `storeAnswers` catches the ones a concurrent request is storing. */
export async function storedKeys(q: Queryable, refs: KeyRef[]): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const rows = await q.query<KeyRef>(sql`SELECT k.scope, k.key FROM idempotency_keys k
    JOIN unnest(${sql.param(refs.map((r) => r.scope))}::text[], ${sql.param(refs.map((r) => r.key))}::text[]) AS x (scope, key)
      ON k.scope = x.scope AND k.key = x.key`);
  return new Set(rows.map(keyRefId));
}

export function keyRefId(r: KeyRef): string {
  return `${r.scope}\u0000${r.key}`;
}

export interface AnswerToStore extends KeyRef {
  fingerprint: string;
  status: number;
  body: unknown;
}

/**
 * Stores the keys of a batch with their final answers, in the caller's transaction (the same
 * one as their effects). Returns how many it stored: fewer means another request took a key
 * meanwhile, and the caller must roll back and run those requests singly.
 */
export async function storeAnswers(tx: Queryable, answers: AnswerToStore[], at: Date): Promise<number> {
  if (answers.length === 0) return 0;
  const p = sql.param;
  const [row] = await tx.query<{ n: number }>(sql`
    WITH ins AS (
      INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at)
      SELECT x.scope, x.key, x.fingerprint, x.status, x.body::jsonb, ${at.toISOString()}::timestamptz
      FROM unnest(${p(answers.map((a) => a.scope))}::text[], ${p(answers.map((a) => a.key))}::text[],
                  ${p(answers.map((a) => a.fingerprint))}::text[], ${p(answers.map((a) => a.status))}::int[],
                  ${p(answers.map((a) => JSON.stringify(a.body)))}::text[]) AS x (scope, key, fingerprint, status, body)
      ON CONFLICT (scope, key) DO NOTHING
      RETURNING 1)
    SELECT count(*)::int AS n FROM ins`);
  return row?.n ?? 0;
}

/**
 * The first half of the redemption batcher's keys: claims each key with a placeholder in one
 * statement (sorted, so concurrent batches never deadlock on the unique index), before any
 * row the effect locks, in the same order as `idempotent`. Returns the keys claimed; the
 * others are stored already (replays) or by a concurrent request, and run singly afterwards.
 */
export async function claimKeys(tx: Queryable, refs: (KeyRef & { fingerprint: string })[], at: Date): Promise<Set<string>> {
  if (refs.length === 0) return new Set();
  const sorted = [...refs].sort((a, b) => (keyRefId(a) < keyRefId(b) ? -1 : 1));
  const p = sql.param;
  const rows = await tx.query<KeyRef>(sql`
    INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at)
    SELECT x.scope, x.key, x.fingerprint, 202, '{}'::jsonb, ${at.toISOString()}::timestamptz
    FROM unnest(${p(sorted.map((r) => r.scope))}::text[], ${p(sorted.map((r) => r.key))}::text[],
                ${p(sorted.map((r) => r.fingerprint))}::text[]) WITH ORDINALITY AS x (scope, key, fingerprint, ord)
    ORDER BY x.ord
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING scope, key`);
  return new Set(rows.map(keyRefId));
}

/** The second half: stores each claimed key's answer, and drops the claims of members deferred to run singly; one statement. */
export async function finishKeys(tx: Queryable, answers: AnswerToStore[], dropped: KeyRef[]): Promise<number> {
  const p = sql.param;
  const [row] = await tx.query<{ n: number }>(sql`
    WITH upd AS (
      UPDATE idempotency_keys k SET response_status = x.status, response_body = x.body::jsonb
      FROM unnest(${p(answers.map((a) => a.scope))}::text[], ${p(answers.map((a) => a.key))}::text[],
                  ${p(answers.map((a) => a.status))}::int[], ${p(answers.map((a) => JSON.stringify(a.body)))}::text[])
           AS x (scope, key, status, body)
      WHERE k.scope = x.scope AND k.key = x.key AND k.response_status = 202
      RETURNING 1
    ), del AS (
      DELETE FROM idempotency_keys k
      USING unnest(${p(dropped.map((a) => a.scope))}::text[], ${p(dropped.map((a) => a.key))}::text[]) AS x (scope, key)
      WHERE k.scope = x.scope AND k.key = x.key AND k.response_status = 202
      RETURNING 1
    )
    SELECT ((SELECT count(*) FROM upd) + (SELECT count(*) FROM del))::int AS n`);
  return row?.n ?? 0;
}
