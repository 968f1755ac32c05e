/** Builders for test data, all through the public API (except bulk users, inserted directly for speed). */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { bearer, type Harness } from './harness';
import { sql } from '../../server/src/platform/db';

export const HOUR_MS = 3_600_000;

export interface PoolOverrides {
  [key: string]: unknown;
}

/** Drafts, submits and approves a pool as the demo issuer (jxw by default); returns the pool. */
export async function openPool(h: Harness, overrides: PoolOverrides = {}, issuer: 'jxw' | 'swj' = 'jxw'): Promise<{ id: string; [k: string]: unknown }> {
  const manager = await h.login(`${issuer}.manager`);
  const approver = await h.login(`${issuer}.approver`);
  const now = h.clock.now().getTime();
  const body = {
    kind: 'consumption',
    distribution: 'first_come',
    budgetFen: 50 * 9000,
    claimOpensAt: new Date(now - HOUR_MS).toISOString(),
    claimClosesAt: new Date(now + 24 * HOUR_MS).toISOString(),
    ...overrides,
  };
  const created = await h.http().post('/api/v1/pools').set(bearer(manager)).send(body);
  if (created.status !== 201) throw new Error(`create pool: ${created.status} ${JSON.stringify(created.body)}`);
  const submitted = await h.http().post(`/api/v1/pools/${created.body.id}/submit`).set(bearer(manager));
  if (submitted.status !== 200) throw new Error(`submit: ${JSON.stringify(submitted.body)}`);
  const approved = await h.http().post(`/api/v1/pools/${created.body.id}/approve`).set(bearer(approver));
  if (approved.status !== 200) throw new Error(`approve: ${JSON.stringify(approved.body)}`);
  return approved.body;
}

/** Inserts `n` consumers directly (one bcrypt hash shared) and returns their logins. */
export async function bulkConsumers(h: Harness, n: number, password = 'bulk-pass-1'): Promise<string[]> {
  const hash = await bcrypt.hash(password, 4);
  const logins: string[] = [];
  await h.db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const phone = `166${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
      const id = randomUUID();
      await tx.query(sql`INSERT INTO users (id, login, password_hash, display_name, phone) VALUES (${id}, ${phone}, ${hash}, ${'bulk ' + i}, ${phone})
        ON CONFLICT DO NOTHING`);
      const inserted = await tx.query(sql`SELECT 1 FROM users WHERE id = ${id}`);
      if (inserted.length === 0) { i--; continue; }
      await tx.query(sql`INSERT INTO memberships (user_id, org_id, role) VALUES (${id}, NULL, 'consumer')`);
      logins.push(phone);
    }
  });
  return logins;
}

export function idemKey(): string {
  return randomUUID();
}

/** budget = available + reserved + spent for a pool, from the live row and the journal. */
export async function poolEquation(h: Harness, poolId: string) {
  const [p] = await h.db.query<{ budget_fen: number; available_fen: number }>(sql`SELECT budget_fen, available_fen FROM pools WHERE id = ${poolId}`);
  const [j] = await h.db.query<{ available: number; reserved: number; spent: number; budget: number }>(sql`
    SELECT coalesce(sum(amount_fen) FILTER (WHERE account = 'available'), 0)::bigint AS available,
           coalesce(sum(amount_fen) FILTER (WHERE account IN ('voucher', 'hold')), 0)::bigint AS reserved,
           coalesce(sum(amount_fen) FILTER (WHERE account IN ('spent', 'settled')), 0)::bigint AS spent,
           coalesce(-sum(amount_fen) FILTER (WHERE account = 'budget'), 0)::bigint AS budget
    FROM journal_entries WHERE pool_id = ${poolId}`);
  return { budget: p!.budget_fen, available: p!.available_fen, journal: j! };
}
