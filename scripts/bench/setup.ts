/**
 * Benchmark data: the demo organisations (issuers, their manager and approver), bulk holders
 * and merchants inserted with multi-row statements (columns as arrays, 50,000 rows a
 * statement), access tokens signed with the server's own TokenService, and pools opened
 * through the public API as a manager and an approver would.
 */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import pino from 'pino';
import { usccCheckChar, type Role } from '@hqt/shared';
import { loadConfig } from '../../server/src/config/config';
import { createApp, createServices, type Services } from '../../server/src/app/create-app';
import { systemClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { seedDemoIfEmpty, DEMO_PASSWORD } from '../../server/src/demo/seed-demo';
import { TokenService, type TokenMembership } from '../../server/src/capabilities/identity/tokens';
import { SECRETS } from './lib';

const CHUNK = 50_000;
const HOUR_MS = 3_600_000;
/** bench tokens outlive a long run; the server checks the expiry, not the lifetime */
const TOKEN_TTL_S = 4 * 3600;

export async function seedOrganisations(db: Db): Promise<void> {
  await seedDemoIfEmpty(db, { bcryptCost: 10, idHashSecret: SECRETS.idHash }, pino({ level: 'silent' }));
}

async function placeholderHash(): Promise<string> {
  return bcrypt.hash(randomUUID(), 4);
}

/** Inserts `n` consumers (phone logins 19xxxxxxxxx from `offset`); returns their user ids. */
export async function insertConsumers(db: Db, n: number, offset = 0): Promise<string[]> {
  const hash = await placeholderHash();
  const ids: string[] = [];
  for (let start = 0; start < n; start += CHUNK) {
    const size = Math.min(CHUNK, n - start);
    const chunkIds = Array.from({ length: size }, () => randomUUID());
    const phones = chunkIds.map((_, i) => `19${String(offset + start + i).padStart(9, '0')}`);
    await db.transaction(async (tx) => {
      await tx.query(sql`INSERT INTO users (id, login, password_hash, display_name, phone)
        SELECT x.id, x.phone, ${hash}, 'bench', x.phone FROM unnest(${sql.param(chunkIds)}::uuid[], ${sql.param(phones)}::text[]) AS x (id, phone)`);
      await tx.query(sql`INSERT INTO memberships (user_id, org_id, role) SELECT u, NULL, 'consumer' FROM unnest(${sql.param(chunkIds)}::uuid[]) AS u`);
    });
    ids.push(...chunkIds);
  }
  return ids;
}

function uscc(seq: number): string {
  const first17 = `92310106${String(seq).padStart(9, '0')}`;
  return first17 + usccCheckChar(first17);
}

/** Inserts `n` active catering merchants in Jing'an, each with one cashier; returns [merchantId, cashierUserId]. */
export async function insertMerchants(db: Db, n: number): Promise<{ merchantId: string; cashierId: string }[]> {
  const hash = await placeholderHash();
  const out: { merchantId: string; cashierId: string }[] = [];
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const merchantId = randomUUID();
      const cashierId = randomUUID();
      await tx.query(sql`INSERT INTO organisations (id, type, name_zh, uscc, district, status, categories)
        VALUES (${merchantId}, 'merchant', ${'压测商户 ' + i}, ${uscc(i + 1)}, 'jingan', 'active', ARRAY['catering']::text[])`);
      await tx.query(sql`INSERT INTO users (id, login, password_hash, display_name) VALUES (${cashierId}, ${'bench.cashier.' + i}, ${hash}, 'cashier')`);
      await tx.query(sql`INSERT INTO memberships (user_id, org_id, role) VALUES (${cashierId}, ${merchantId}, 'merchant_cashier')`);
      out.push({ merchantId, cashierId });
    }
  });
  return out;
}

export function tokenService(): TokenService {
  return new TokenService({ jwtKeys: { current: { id: 'k1', secret: SECRETS.jwt }, previous: null }, accessTokenTtlSeconds: TOKEN_TTL_S });
}

/** Access tokens as the server would issue them at login. */
export function signTokens(userIds: string[], membership: (userId: string) => TokenMembership[]): string[] {
  const tokens = tokenService();
  const now = Math.floor(Date.now() / 1000);
  return userIds.map((sub) => tokens.sign({ sub, mem: membership(sub) }, now));
}

export const consumerMembership = (): TokenMembership[] => [[null, 'consumer' as Role]];

// ---- the public API ----

export async function call(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + '/api/v1' + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function login(base: string, who: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await call(base, 'POST', '/auth/login', null, { login: who, password });
  if (res.status !== 200) throw new Error(`login ${who}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

export interface Staff {
  manager: string;
  approver: string;
}

export async function staff(base: string): Promise<Staff> {
  return { manager: await login(base, 'swj.manager'), approver: await login(base, 'swj.approver') };
}

/** Drafts, submits and approves a consumption pool (满300减90 by default); returns its id. */
export async function openPool(base: string, s: Staff, overrides: Record<string, unknown>): Promise<string> {
  const now = Date.now();
  const created = await call(base, 'POST', '/pools', s.manager, {
    kind: 'consumption', distribution: 'first_come', perHolderMax: 1,
    claimOpensAt: new Date(now - HOUR_MS).toISOString(), claimClosesAt: new Date(now + 24 * HOUR_MS).toISOString(),
    ...overrides,
  });
  if (created.status !== 201) throw new Error(`create pool: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  const submitted = await call(base, 'POST', `/pools/${id}/submit`, s.manager);
  if (submitted.status !== 200) throw new Error(`submit pool: ${JSON.stringify(submitted.body)}`);
  const approved = await call(base, 'POST', `/pools/${id}/approve`, s.approver);
  if (approved.status !== 200) throw new Error(`approve pool: ${JSON.stringify(approved.body)}`);
  return id;
}

export const VOUCHER_FEN = 9000; // the consumption preset's first tier: 满300减90

// ---- the application in the runner's own process (setup through services and the API) ----

export interface InProcessApp {
  services: Services;
  base: string;
  close(): Promise<void>;
}

/** The real app on an ephemeral port of this process, over `db`, with the benchmark secrets. */
export async function inProcessApp(db: Db, databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<InProcessApp> {
  const config = loadConfig({
    NODE_ENV: 'production', DATABASE_URL: databaseUrl, JWT_SECRET: SECRETS.jwt, QR_SECRET: SECRETS.qr, ID_HASH_SECRET: SECRETS.idHash,
    BCRYPT_COST: '12', LOG_LEVEL: 'silent', ...extraEnv,
  });
  const deps = { config, db, logger: pino({ level: 'silent' }), clock: systemClock };
  const services = createServices(deps);
  const { app } = createApp(deps, services);
  const http = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  const { port } = http.address() as { port: number };
  return { services, base: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => http.close(() => resolve())) };
}

/** A funded, open lottery pool of 1,000 vouchers, made through the API of an in-process app: its id and issuer (the statement benches). */
export async function benchLotteryPool(db: Db, databaseUrl: string): Promise<{ id: string; issuer_id: string }> {
  await seedOrganisations(db);
  const app = await inProcessApp(db, databaseUrl);
  const poolId = await openPool(app.base, await staff(app.base), { distribution: 'lottery', budgetFen: 1000 * VOUCHER_FEN });
  await app.close();
  const [pool] = await db.query<{ id: string; issuer_id: string }>(sql`SELECT id, issuer_id FROM pools WHERE id = ${poolId}`);
  if (!pool) throw new Error('assertion: the bench pool exists');
  return pool;
}
