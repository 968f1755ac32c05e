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
