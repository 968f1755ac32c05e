/**
 * Fuzzing every endpoint of the live route table with fast-check: bodies, queries, path
 * parameters and headers derived from each route's Joi schemas, mixed with hostile values;
 * then raw bodies no JSON encoder would produce and wrong content types. For every request:
 * no 5xx; every error is application/problem+json with a catalogued code whose status is the
 * HTTP status; and a rejected request leaves every money and decision table as it was.
 */
import type { AddressInfo } from 'node:net';
import { Agent, type Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { PROBLEMS } from '@hqt/shared';
import type { RouteSpec } from '../../server/src/app/route';
import { startHarness, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { arbitraryOf, HOSTILE_STRINGS, hostileValue, type Described } from './joi-arbitrary';
import { sql } from '../../server/src/platform/db';
import { buildTenants, CALLERS, GUARDED_TABLES, guardedChecksum, liveSpecs, tokensByRole, type Caller } from './fixtures';

/** ≥ 10,000 requests in all: this many per endpoint, plus the raw-body runs. */
const SCHEMA_RUNS_TOTAL = Number(process.env.FUZZ_SCHEMA_RUNS ?? 8_500);
const RAW_RUNS = Number(process.env.FUZZ_RAW_RUNS ?? 1_500);
/** one connection reused for every request: the fuzz measures the server, not TCP set-up */
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
/** an answer slower than this is a failure (reported as 599) */
const REQUEST_TIMEOUT_MS = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_501);

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: { code?: string; status?: number };
  text: string;
}

const RAW_BODIES = [
  '{"orderAmountFen": NaN}', '{"budgetFen": Infinity}', '{"deltaFen": -Infinity, "reason": "x"}', '{"orderAmountFen": 1e400, "token": "x", "orderRef": "r"}',
  '{"budgetFen": 123456789012345678901234567890}', '{"a":1,"a":2}', '{"login":"admin","login":"x","password":"p","password":"q"}',
  '{"kind":"consumption","kind":"compute"}', '{', '}', '[', '[]', 'null', 'true', '0', '"string"', '{"a":1,}', "{'a':1}",
  '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":{"__proto__":null}}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`, `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`,
  '\uFEFF{"login":"admin","password":"x"}', '{"login":"\\ud800","password":"\\udfff"}', '{"login":"a\\u0000b","password":"x"}',
  '{"reason":"\\u202e\\u200b\\ufeff"}', '{"token":"HQT1.D.0000000000000000A.1.AAAAAAAAAAAAAAAA","orderAmountFen":1,"orderRef":"x"}',
];
/** path segments sent as they are: bad percent-encoding, overlong UTF-8, traversal */
const RAW_SEGMENTS = ['%', '%zz', '%ff', '%C0%AF', '%E0%80%80', '..', '%2e%2e%2f', '%00', '%u0000', '%25%30%30'];
const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16',
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml', 'application/merge-patch+json',
  'application/octet-stream', '',
];

/**
 * A change counter kept by row triggers on every guarded table (this test's database only):
 * one tiny read per request instead of a checksum of every table. A trigger's increment
 * commits or rolls back with the write, so the counter moves exactly when data changed.
 */
async function countChanges(h: Harness): Promise<void> {
  await h.db.query(sql`CREATE TABLE fuzz_changes (n bigint NOT NULL)`);
  await h.db.query(sql`INSERT INTO fuzz_changes VALUES (0)`);
  await h.db.query(sql.raw(`CREATE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN UPDATE fuzz_changes SET n = n + 1; RETURN NULL; END $$`));
  for (const [table, where] of GUARDED_TABLES) {
    const when = where === 'TRUE' ? '' : `WHEN (${where.replace(/\baction\b/g, 'NEW.action')})`;
    // audit_log is append-only (UPDATE and DELETE are refused), so INSERT is all it needs
    const events = table === 'audit_log' ? 'INSERT' : 'INSERT OR UPDATE OR DELETE';
    await h.db.query(sql.raw(`CREATE TRIGGER fuzz_count_${table} AFTER ${events} ON ${table} FOR EACH ROW ${when} EXECUTE FUNCTION fuzz_count()`));
  }
}

async function changeCount(h: Harness): Promise<string> {
  const [row] = await h.db.query<{ n: number }>(sql`SELECT n FROM fuzz_changes`);
  return String(row!.n);
}

describe('fuzzing every endpoint', () => {
  let h: Harness;
  let server: Server;
  let specs: RouteSpec[];
  let tokens: Record<Caller, string | null>;
  let realIds: string[];
  let checksum: string;
  let before: string;
  let initialCount: string;
  let requests = 0;
  const failures: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      demo: true,
      env: { LOG_LEVEL: 'warn', RATE_LIMIT_LOGIN: '1000000', RATE_LIMIT_CLAIMS: '1000000', RATE_LIMIT_LOTTERY_ENTRIES: '1000000', RATE_LIMIT_REDEMPTIONS: '1000000' },
    });
    server = h.app.listen(0, '127.0.0.1');
    specs = liveSpecs(h);
    const t = await buildTenants(h);
    tokens = await tokensByRole(h); // after the tenants: building them moved the clock a day on
    realIds = Object.values(t);
    await countChanges(h);
    checksum = await changeCount(h);
    initialCount = checksum;
    before = await guardedChecksum(h);
  }, 120_000);
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      keepAlive.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await h.close();
    }
  });

  const base = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Checks one answer; after a refusal, the guarded tables must be as they were. */
  async function judge(label: string, res: Reply): Promise<void> {
    requests++;
    if (process.env.FUZZ_TRACE) process.stderr.write(`${requests} ${res.status} ${label.slice(0, 160)}\n`);
    if (res.status >= 500) failures.push(`${res.status} ${label} → ${res.text.slice(0, 300)}`);
    if (res.status >= 400) {
      const problem = res.body;
      if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? '')) failures.push(`not problem+json: ${res.status} ${label}`);
      else if (!problem.code || !(problem.code in PROBLEMS)) failures.push(`unknown code ${problem.code}: ${label}`);
      else if (PROBLEMS[problem.code as keyof typeof PROBLEMS].status !== res.status) failures.push(`code ${problem.code} with status ${res.status}: ${label}`);
    }
    const now = await changeCount(h);
    if (res.status >= 400 && now !== checksum) failures.push(`a refused request changed the database: ${res.status} ${problemCode(res)} ${label}`);
    checksum = now;
    if (failures.length > 20) throw new Error(`stopping: ${failures.slice(0, 20).join('\n')}`);
  }

  const problemCode = (res: Reply) => res.body?.code ?? '';

  /** Percent-encodes any string, lone surrogates included (as their UTF-8 replacement bytes). */
  function enc(text: string): string {
    try {
      return encodeURIComponent(text);
    } catch {
      return [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    }
  }

  function encodeQuery(q: unknown): string {
    if (!q || typeof q !== 'object') return '';
    const parts: string[] = [];
    for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
      const values = Array.isArray(v) ? v : [v];
      for (const one of values) parts.push(`${enc(k)}=${enc(typeof one === 'string' ? one : JSON.stringify(one) ?? '')}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  }

  function pathOf(spec: RouteSpec, params: Record<string, unknown>): string {
    return spec.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const v = params[name];
      if (typeof v === 'string' && RAW_SEGMENTS.includes(v)) return v;
      return enc(typeof v === 'string' ? v : JSON.stringify(v) ?? 'x');
    });
  }

  function paramArbitrary(spec: RouteSpec): fc.Arbitrary<Record<string, unknown>> {
    const names = [...spec.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
    const described = (spec.params?.describe() as Described | undefined)?.keys ?? {};
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const name of names) {
      const schema = described[name];
      model[name] = fc.oneof(
        { weight: 4, arbitrary: schema ? arbitraryOf(schema, 0) : fc.uuid() },
        { weight: 4, arbitrary: fc.constantFrom(...realIds) },
        { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 200)) },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
      );
    }
    return fc.record(model);
  }

  async function send(spec: RouteSpec, caller: Caller, params: Record<string, unknown>, query: unknown, body: unknown, idem: unknown): Promise<Reply> {
    try {
      return await sendUnguarded(spec, caller, params, query, body, idem);
    } catch (err) {
      return { status: 598, headers: {}, body: {}, text: `the test client threw: ${(err as Error).stack}` };
    }
  }

  async function sendUnguarded(spec: RouteSpec, caller: Caller, params: Record<string, unknown>, query: unknown, body: unknown, idem: unknown): Promise<Reply> {
    const url = `/api/v1${pathOf(spec, params)}${encodeQuery(query)}`;
    if (process.env.FUZZ_TRACE) process.stderr.write(`→ ${spec.method} ${url.slice(0, 100)} ${JSON.stringify(body)?.length}\n`);
    let req = request(base())[spec.method](url).agent(keepAlive);
    const token = tokens[caller];
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    if (typeof idem === 'string' && /^[\x20-\x7e]*$/.test(idem)) req = req.set('Idempotency-Key', idem);
    if (body !== undefined && spec.method !== 'get') req = req.set('Content-Type', 'application/json').send(JSON.stringify(body));
    const res = await req.timeout(REQUEST_TIMEOUT_MS).catch((err: Error) => ({ status: 599, headers: {}, body: {}, text: `client: ${err.message}` }));
    return { status: res.status, headers: res.headers as Record<string, string>, body: res.body as Reply['body'], text: res.text ?? '' };
  }

  test('when ≥ 10,000 generated and hostile requests hit every endpoint, then no 5xx, every error is a catalogued problem, and refusals change nothing', async () => {
    const runsPerEndpoint = Math.ceil(SCHEMA_RUNS_TOTAL / specs.length);
    for (const spec of specs) {
      const allowed = spec.auth === 'public' ? CALLERS : spec.auth === 'user' ? CALLERS.filter((c) => c !== 'anonymous') : spec.auth;
      const caller = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...allowed) }, { weight: 1, arbitrary: fc.constantFrom(...CALLERS) });
      const body = spec.body ? arbitraryOf(spec.body.describe() as Described) : fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue });
      const query = spec.query ? arbitraryOf(spec.query.describe() as Described) : fc.constant(undefined);
      const idem = fc.oneof(fc.uuid(), fc.constantFrom(...HOSTILE_STRINGS), fc.constant(undefined));
      await fc.assert(
        fc.asyncProperty(caller, paramArbitrary(spec), query, body, idem, async (c, p, q, b, i) => {
          await judge(`${spec.method.toUpperCase()} ${spec.path} as ${c} params=${JSON.stringify(p).slice(0, 200)} query=${JSON.stringify(q)?.slice(0, 200)} body=${JSON.stringify(b)?.slice(0, 300)}`,
            await send(spec, c, p, q, b, i));
        }),
        { numRuns: runsPerEndpoint, seed: SEED, endOnFailure: true },
      );
    }
    const writes = specs.filter((s) => s.method !== 'get');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), fc.constantFrom(...RAW_BODIES), fc.constantFrom(...CONTENT_TYPES), fc.constantFrom(...CALLERS),
        fc.constantFrom(...realIds), async (spec, raw, type, caller, id) => {
          let req = request(base())[spec.method](`/api/v1${spec.path.replace(/:([A-Za-z]+)/g, (_m, n: string) => (n === 'id' ? id : '1'))}`);
          req = req.agent(keepAlive);
          const token = tokens[caller];
          if (token) req = req.set('Authorization', `Bearer ${token}`);
          req = req.set('Idempotency-Key', `fuzz-${requests}`);
          if (type) req = req.set('Content-Type', type);
          const res = await req.timeout(REQUEST_TIMEOUT_MS).send(raw).catch((err: Error) => ({ status: 599, headers: {}, body: {}, text: `client: ${err.message}` }));
          await judge(`${spec.method.toUpperCase()} ${spec.path} as ${caller} ${type || '(no type)'} raw=${raw.slice(0, 120)}`,
            { status: res.status, headers: res.headers as Record<string, string>, body: res.body as Reply['body'], text: res.text ?? '' });
        }),
      { numRuns: RAW_RUNS, seed: SEED, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    // the trigger counter is trustworthy: had nothing changed, the full checksum would be the first one
    if (initialCount === (await changeCount(h))) expect(await guardedChecksum(h)).toBe(before);
    else expect(await guardedChecksum(h)).not.toBe(before);
    expect(requests).toBeGreaterThanOrEqual(Math.min(10_000, SCHEMA_RUNS_TOTAL + RAW_RUNS));
    process.stdout.write(`fuzz: ${requests} requests over ${specs.length} endpoints, seed ${SEED}\n`);
  }, 600_000);
});
