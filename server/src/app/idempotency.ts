/**
 * Idempotency keys with Stripe's semantics. The key row is written in the same transaction
 * as the effect, so:
 * - a replay returns the stored answer, 2xx and 4xx alike;
 * - the same key with another request answers 409 IDEMPOTENCY_CONFLICT;
 * - a concurrent duplicate blocks on the key's unique index until the first commits, then
 *   replays its answer: exactly one executes;
 * - a crash before commit leaves nothing behind, so a retry executes afresh.
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

export async function idempotent(
  db: Db, clock: Clock, scope: string, key: string, request: unknown,
  run: (tx: Queryable) => Promise<{ status: number; body: unknown }>,
): Promise<StoredAnswer> {
  const fingerprint = fingerprintOf(request);
  return db.transaction(async (tx) => {
    const claimed = await tx.query(sql`
      INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, created_at)
      VALUES (${scope}, ${key}, ${fingerprint}, 202, '{}'::jsonb, ${clock.now().toISOString()})
      ON CONFLICT (scope, key) DO NOTHING RETURNING key`);
    if (claimed.length === 0) {
      const [prior] = await tx.query<KeyRow>(sql`
        SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE scope = ${scope} AND key = ${key}`);
      if (!prior) throw new HttpProblem('IDEMPOTENCY_IN_PROGRESS');
      if (prior.fingerprint !== fingerprint) throw new HttpProblem('IDEMPOTENCY_CONFLICT');
      return { status: prior.response_status, body: prior.response_body, replayed: true };
    }
    await tx.query(sql`SAVEPOINT idempotent_effect`);
    let answer: { status: number; body: unknown };
    try {
      answer = await run(tx);
    } catch (err) {
      if (!(err instanceof HttpProblem) || err.status >= 500) throw err;
      // Undo any partial effect, keep the key, and store the refusal for replays.
      await tx.query(sql`ROLLBACK TO SAVEPOINT idempotent_effect`);
      answer = { status: err.status, body: err.toJSON() };
    }
    await tx.query(sql`UPDATE idempotency_keys SET response_status = ${answer.status},
      response_body = ${JSON.stringify(answer.body)}::jsonb WHERE scope = ${scope} AND key = ${key}`);
    return { ...answer, replayed: false };
  });
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
