/**
 * SIGTERM under load, on the real server process (PostgreSQL server with DATABASE_URL, else
 * embedded PGlite): claims with Idempotency-Keys stream in over keep-alive connections when
 * the server is told to stop. Then:
 * - /ready answers 503 at once, and answers carry `Connection: close`;
 * - every claim that got a 201 is in the database exactly once (no more vouchers than acks);
 * - no client saw a reset connection for a request the server accepted: the key of every
 *   request that failed on the network is absent from the database;
 * - once the listener closes, new connections are refused; the process exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openTestDb } from '../helpers/harness';
import { sql, type Db } from '../../server/src/platform/db';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { reconcile } from '../../server/src/capabilities/ledger';
import { systemClock } from '../../server/src/platform/clock';

const ROOT = path.resolve(__dirname, '..', '..');
const LOOPS = 24;
const LOAD_BEFORE_TERM_MS = 2_500;
const SHUTDOWN_DELAY_MS = 1_000;
const CONSUMERS = 12;
const HOUR_MS = 3_600_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }
interface NetError { code: string; reused: boolean }

/** One HTTP request; a network failure comes back as a NetError (reused: sent on a kept-alive socket). */
function call(agent: http.Agent, port: number, method: string, urlPath: string, headers: Record<string, string>, body?: unknown): Promise<Answer | NetError> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, agent, timeout: 30_000,
      headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : {} });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code ?? err.message, reused: req.reusedSocket }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code ?? err.message, reused: req.reusedSocket }));
    req.end(payload);
  });
}

const isAnswer = (r: Answer | NetError): r is Answer => 'status' in r;

interface Started { child: ChildProcess; output: () => string; exit: Promise<number | null> }

function startServer(env: Record<string, string>): Started {
  // node itself with tsx's loader, not the tsx CLI: the CLI relays SIGTERM and SIGKILLs a child
  // that does not acknowledge it within 30 ms, which a busy server may not
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function waitReady(port: number, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/v1/ready`)).status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('server did not become ready');
}

async function json(port: number, method: string, urlPath: string, token: string | null, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

const login = async (port: number, name: string, password = 'hqt-demo-2025') =>
  (await json(port, 'POST', '/api/v1/auth/login', null, { login: name, password })).accessToken as string;

/** An open first-come pool and a few registered consumers, all through the API. */
async function arrange(port: number): Promise<{ poolId: string; tokens: string[] }> {
  const manager = await login(port, 'jxw.manager');
  const approver = await login(port, 'jxw.approver');
  const now = Date.now();
  const pool = await json(port, 'POST', '/api/v1/pools', manager, {
    kind: 'consumption', distribution: 'first_come', budgetFen: 100_000 * 9000, perHolderMax: 1000,
    claimOpensAt: new Date(now - HOUR_MS).toISOString(), claimClosesAt: new Date(now + 24 * HOUR_MS).toISOString(),
  });
  await json(port, 'POST', `/api/v1/pools/${pool.id}/submit`, manager);
  await json(port, 'POST', `/api/v1/pools/${pool.id}/approve`, approver);
  const tokens: string[] = [];
  for (let i = 0; i < CONSUMERS; i++) {
    const phone = `166${String(randomBytes(4).readUInt32BE(0) % 1e8).padStart(8, '0')}`;
    await json(port, 'POST', '/api/v1/auth/register/consumer', null, { phone, password: 'shutdown-pass-1' });
    tokens.push(await login(port, phone, 'shutdown-pass-1'));
  }
  return { poolId: pool.id as string, tokens };
}

interface Attempt { key: string; sentAtMs: number; result: Answer | NetError }

describe('graceful shutdown under load', () => {
  test('when SIGTERM arrives during a claim storm, then no acknowledged claim is lost or doubled, no accepted request is reset, and the exit code is 0', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hqt-term-'));
    const testDb = process.env.DATABASE_URL ? await openTestDb() : null;
    const server = startServer({
      NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', BCRYPT_COST: '4',
      SHUTDOWN_GRACE_MS: '10000', SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      RATE_LIMIT_CLAIMS: '1000000', RATE_LIMIT_LOGIN: '1000000',
      ...(testDb?.url ? { DATABASE_URL: testDb.url } : {}),
    });
    let db: Db | null = null;
    try {
      await waitReady(port);
      const { poolId, tokens } = await arrange(port);
      const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
      const attempts: Attempt[] = [];
      let refused = false;
      const loop = async (i: number): Promise<void> => {
        for (let n = 0; !refused && n < 100_000; n++) {
          const key = randomUUID();
          const token = tokens[(i + n) % tokens.length] as string;
          const sentAtMs = Date.now();
          const result = await call(agent, port, 'POST', `/api/v1/pools/${poolId}/claims`, { authorization: `Bearer ${token}`, 'idempotency-key': key }, {});
          attempts.push({ key, sentAtMs, result });
          if (!isAnswer(result) && result.code === 'ECONNREFUSED') refused = true;
        }
      };
      const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
      await new Promise((r) => setTimeout(r, LOAD_BEFORE_TERM_MS));

      const termAtMs = Date.now();
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      const ready = await call(new http.Agent(), port, 'GET', '/api/v1/ready', {});
      const stopper = setTimeout(() => { refused = true; }, 30_000);
      await Promise.all(loops);
      clearTimeout(stopper);
      agent.destroy();
      const exitCode = await server.exit;
      if (exitCode !== 0) process.stderr.write(server.output().split('\n').filter((l) => !l.includes('request completed')).slice(-30).join('\n'));
      expect(exitCode).toBe(0);
      expect(server.output()).toMatch(/"msg":"stopped"/);

      expect(isAnswer(ready) && ready.status).toBe(503);
      expect(isAnswer(ready) && ready.headers.connection).toBe('close');

      db = testDb ? testDb.db : await createPgliteDb({ dataDir: path.join(dataDir, 'pg') });
      const answers = attempts.filter((a) => isAnswer(a.result)) as (Attempt & { result: Answer })[];
      const acked = answers.filter((a) => a.result.status === 201);
      const failed = attempts.filter((a) => !isAnswer(a.result)) as (Attempt & { result: NetError })[];
      expect(answers.every((a) => a.result.status === 201)).toBe(true);
      expect(acked.length).toBeGreaterThan(50);
      // the server kept serving after the signal (in flight, and during SHUTDOWN_DELAY_MS), closing each connection
      const afterTerm = acked.filter((a) => a.sentAtMs > termAtMs + 300);
      expect(afterTerm.length).toBeGreaterThan(0);
      expect(afterTerm.every((a) => a.result.headers.connection === 'close')).toBe(true);
      // clients kept trying until the listener closed: those connections were refused, not reset
      expect(failed.some((a) => a.result.code === 'ECONNREFUSED')).toBe(true);

      const ids = acked.map((a) => a.result.body.id as string);
      expect(new Set(ids).size).toBe(ids.length);
      const [stored] = await db.query<{ n: number; known: number }>(sql`
        SELECT count(*)::int AS n,
               count(*) FILTER (WHERE id IN (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}))::int AS known
        FROM vouchers WHERE pool_id = ${poolId}`);
      expect(stored).toEqual({ n: acked.length, known: acked.length });

      const unanswered = failed.map((a) => a.key);
      const executed = unanswered.length === 0 ? [] : await db.query<{ key: string }>(sql`
        SELECT key FROM idempotency_keys WHERE key IN (${sql.join(unanswered.map((k) => sql`${k}`), sql`, `)})`);
      expect({ resetButExecuted: executed.map((r) => r.key), failures: failed.length }).toEqual({ resetButExecuted: [], failures: failed.length });

      const [pool] = await db.query<{ available_fen: number; budget_fen: number }>(sql`SELECT available_fen, budget_fen FROM pools WHERE id = ${poolId}`);
      expect(pool!.available_fen).toBe(pool!.budget_fen - acked.length * 9000);
      const report = await reconcile(db, systemClock);
      expect(report.differences).toEqual([]);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      if (testDb) await testDb.drop();
      else await db?.close();
    }
  }, 180_000);
});
