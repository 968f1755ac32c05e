#!/usr/bin/env node
/**
 * Several hosts, on loopback: two server processes (node server/dist/main.js, run
 * `npm run build` or `tsc -b` first) on one fresh PostgreSQL database, started at the same
 * moment, behind nginx configured from deploy/nginx.conf (only the upstream addresses, the
 * listen address and the temp paths are rewritten). A claim storm and redemptions go through
 * nginx; one instance is SIGKILLed midway. Afterwards:
 * - the demo data was seeded once although both instances started on an empty database;
 * - no oversell: vouchers ≤ budget / amount, available ≥ 0, budget = available + reserved + spent;
 * - every acknowledged (2xx) claim and redemption exists exactly once;
 * - GET /api/v1/admin/reconcile is clean, and so was every nightly-reconcile run under load;
 * - every cron job ran at most once per schedule slot across both instances (job_runs), with
 *   JOBS_SCHEDULE_OVERRIDE firing every job every 10 seconds;
 * - the surviving instance stops with exit code 0 on SIGTERM.
 * Prints "nginx: N passed, M failed"; exits 1 on any failure. Bounded: about 1–2 minutes.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node test/ops/nginx-scaleout.mjs
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');
const bcrypt = require('bcrypt');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { qrStep, dynamicMessage, formatDynamicToken } = require(path.join(ROOT, 'shared/dist/index.js'));

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OVERALL_TIMEOUT_MS = 170_000;
const CONSUMERS = 300;
const CLAIMS_PER_CONSUMER = 8; // 2,400 claims
const BUDGET_VOUCHERS = 1_500; // sold out before the storm ends
const VOUCHER_FEN = 9_000; // the consumption preset: 满300减90
const CLAIM_CONCURRENCY = 48;
const REDEEM_CONCURRENCY = 8;
const KILL_AFTER_FRACTION = 0.4;
const CLIENT_RETRIES = 6;
const JOB_EVERY = '*/10 * * * * *';

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  process.stdout.write(`${ok ? '  ok  ' : '  FAIL'} ${name}${detail ? ` — ${detail}` : ''}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

/** One request; network failures come back as { error } (never thrown). */
function request(agent, port, method, urlPath, { token, key, body } = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, agent, timeout: 30_000,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed = {};
        try { parsed = text ? JSON.parse(text) : {}; } catch { parsed = { text }; }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed });
      });
      res.on('error', (err) => resolve({ error: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err) => resolve({ error: err.code ?? err.message }));
    req.end(payload);
  });
}

/** A client's retry: the same key and the same body until an answer that is not a gateway error. */
async function withRetries(send) {
  let last;
  for (let attempt = 0; attempt <= CLIENT_RETRIES; attempt++) {
    last = await send();
    if (!last.error && ![502, 503, 504].includes(last.status)) return { ...last, attempts: attempt + 1 };
    await sleep(150 * (attempt + 1));
  }
  return { ...last, attempts: CLIENT_RETRIES + 1 };
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hqt-nginx-'));
  chmodSync(tmp, 0o755);
  const dbName = `hqt_nginx_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = withDatabase(PG_URL, dbName);
  const db = new pg.Pool({ connectionString: dbUrl, max: 4 });
  db.on('error', () => undefined); // DROP DATABASE … WITH (FORCE) ends idle connections at cleanup
  const children = [];
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };
  const timer = setTimeout(async () => {
    process.stdout.write(`nginx: timed out after ${OVERALL_TIMEOUT_MS / 1000} s\n`);
    await cleanup();
    process.exit(1);
  }, OVERALL_TIMEOUT_MS);
  try {
    await run(tmp, dbUrl, db, children);
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}

function startInstance(name, port, env, tmp, children) {
  const log = createWriteStream(path.join(tmp, `${name}.log`));
  const child = spawn(process.execPath, [path.join(ROOT, 'server/dist/main.js')], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; log.write(d); });
  child.stderr.on('data', (d) => { out += d; log.write(d); });
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  children.push(child);
  return { name, port, child, exit, output: () => out, instance: `${os.hostname()}:${child.pid}` };
}

async function waitFor(what, probe, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return true;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function nginxConfig(tmp, upstreamPorts, listenPort) {
  let conf = readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8');
  let i = 0;
  conf = conf.replace(/^(\s*server )app\d+:3000( .*;)$/gm, (_m, head, tail) => `${head}127.0.0.1:${upstreamPorts[i++]}${tail}`);
  const upstreams = i;
  const listens = (conf.match(/^\s*listen 8080;$/gm) ?? []).length;
  conf = conf.replace(/^(\s*)listen 8080;$/m, `$1listen 127.0.0.1:${listenPort};`);
  const nginxDir = path.join(tmp, 'nginx');
  mkdirSync(nginxDir, { mode: 0o777 });
  chmodSync(nginxDir, 0o777); // nginx workers run as nobody when the master is root
  conf = conf.replaceAll('/tmp/hqt-nginx', `${nginxDir}/t`);
  const file = path.join(nginxDir, 'nginx.conf');
  writeFileSync(file, conf);
  return { file, dir: nginxDir, upstreams, listens };
}

async function arrangePool(agent, port) {
  const login = async (name, password = 'hqt-demo-2025') => {
    const r = await request(agent, port, 'POST', '/api/v1/auth/login', { body: { login: name, password } });
    if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.accessToken;
  };
  const manager = await login('jxw.manager');
  const approver = await login('jxw.approver');
  const now = Date.now();
  const created = await request(agent, port, 'POST', '/api/v1/pools', {
    token: manager,
    body: {
      kind: 'consumption', distribution: 'first_come', budgetFen: BUDGET_VOUCHERS * VOUCHER_FEN, perHolderMax: 20,
      claimOpensAt: new Date(now - 3_600_000).toISOString(), claimClosesAt: new Date(now + 86_400_000).toISOString(),
    },
  });
  if (created.status !== 201) throw new Error(`create pool: ${created.status} ${JSON.stringify(created.body)}`);
  for (const step of ['submit', 'approve']) {
    const r = await request(agent, port, 'POST', `/api/v1/pools/${created.body.id}/${step}`, { token: step === 'submit' ? manager : approver });
    if (r.status !== 200) throw new Error(`${step}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { poolId: created.body.id, login };
}

/** Consumers straight into SQL (one bcrypt hash), then logged in through nginx. */
async function arrangeConsumers(db, login) {
  const hash = await bcrypt.hash('storm-pass-1', 4);
  const phones = [];
  const used = new Set();
  while (phones.length < CONSUMERS) {
    const phone = `166${String(randomBytes(4).readUInt32BE(0) % 1e8).padStart(8, '0')}`;
    if (used.has(phone)) continue;
    used.add(phone);
    phones.push(phone);
  }
  const ids = phones.map(() => randomUUID());
  await db.query(`INSERT INTO users (id, login, password_hash, display_name, phone)
    SELECT id, phone, $3, 'storm ' || phone, phone FROM unnest($1::uuid[], $2::text[]) AS t(id, phone)`, [ids, phones, hash]);
  await db.query(`INSERT INTO memberships (user_id, org_id, role) SELECT id, NULL, 'consumer' FROM unnest($1::uuid[]) AS t(id)`, [ids]);
  const tokens = new Array(CONSUMERS);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < CONSUMERS) {
      const i = next++;
      tokens[i] = await login(phones[i], 'storm-pass-1');
    }
  }));
  return tokens;
}

function walletToken(voucher) {
  const step = qrStep(Date.now());
  const mac = createHmac('sha256', Buffer.from(voucher.qr.key, 'base64url')).update(dynamicMessage(voucher.code, step)).digest('base64url');
  return formatDynamicToken(voucher.code, step, mac);
}

async function storm(port, poolId, tokens, cashier, onProgress) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLAIM_CONCURRENCY + REDEEM_CONCURRENCY });
  const claimTasks = [];
  for (let round = 0; round < CLAIMS_PER_CONSUMER; round++) for (let c = 0; c < CONSUMERS; c++) claimTasks.push(c);
  const claims = [];
  const redemptions = [];
  const toRedeem = [];
  let claimsDone = false;
  let next = 0;
  const claimLoop = async () => {
    while (next < claimTasks.length) {
      const consumer = claimTasks[next++];
      const key = randomUUID();
      const sentAt = Date.now();
      const r = await withRetries(() => request(agent, port, 'POST', `/api/v1/pools/${poolId}/claims`, { token: tokens[consumer], key, body: {} }));
      claims.push({ key, sentAt, ...r });
      if (r.status === 201 && claims.length % 2 === 0) toRedeem.push(r.body);
      onProgress(claims.length / claimTasks.length);
    }
  };
  const redeemLoop = async () => {
    while (!claimsDone || toRedeem.length > 0) {
      const voucher = toRedeem.shift();
      if (!voucher) { await sleep(20); continue; }
      const key = randomUUID();
      const body = { token: walletToken(voucher), orderAmountFen: 30_000 + Math.floor(Math.random() * 20_000), orderRef: `storm-${key.slice(0, 8)}` };
      const sentAt = Date.now();
      const r = await withRetries(() => request(agent, port, 'POST', '/api/v1/redemptions', { token: cashier, key, body }));
      redemptions.push({ key, sentAt, voucherId: voucher.id, ...r });
    }
  };
  const redeemers = Array.from({ length: REDEEM_CONCURRENCY }, redeemLoop);
  await Promise.all(Array.from({ length: CLAIM_CONCURRENCY }, claimLoop));
  claimsDone = true;
  await Promise.all(redeemers);
  agent.destroy();
  return { claims, redemptions };
}

async function run(tmp, dbUrl, db, children) {
  const t0 = Date.now();
  const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
  if (!nginxBin) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const [portA, portB, portN] = [await freePort(), await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'development', DATABASE_URL: dbUrl, DATABASE_POOL_MAX: '10', HOST: '127.0.0.1', DATA_DIR: tmp,
    JWT_SECRET: randomBytes(32).toString('hex'), QR_SECRET: randomBytes(32).toString('hex'), ID_HASH_SECRET: randomBytes(32).toString('hex'),
    BCRYPT_COST: '4', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '5000', JOBS_SCHEDULE_OVERRIDE: `*=${JOB_EVERY}`,
    RATE_LIMIT_LOGIN: '100000', RATE_LIMIT_CLAIMS: '100000', RATE_LIMIT_REDEMPTIONS: '100000',
    ...((await reachable(6379)) ? { REDIS_URL: 'redis://127.0.0.1:6379' } : {}),
  };

  // both instances start at the same moment on the empty database
  const a = startInstance('a', portA, env, tmp, children);
  const b = startInstance('b', portB, env, tmp, children);
  const ready = (port) => async () => (await request(undefined, port, 'GET', '/api/v1/ready')).status === 200;
  await Promise.all([waitFor('instance a', ready(portA), 60_000), waitFor('instance b', ready(portB), 60_000)]);
  const seededLogs = [a, b].filter((i) => i.output().includes('seeded demo data')).length;
  const { rows: [admins] } = await db.query(`SELECT count(*)::int AS n FROM users WHERE login = 'admin'`);
  check('two instances starting together on an empty database seed the demo data once', seededLogs === 1 && admins.n === 1, `seeded by ${seededLogs}, admins ${admins.n}`);

  const conf = nginxConfig(tmp, [portA, portB], portN);
  check('the nginx configuration is deploy/nginx.conf with the two upstreams and the listen address rewritten', conf.upstreams === 2 && conf.listens === 1);
  const nginx = spawn(nginxBin, ['-c', conf.file, '-p', conf.dir, '-e', path.join(conf.dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(nginx);
  let nginxOut = '';
  nginx.stdout.on('data', (d) => { nginxOut += d; });
  nginx.stderr.on('data', (d) => { nginxOut += d; });
  const nginxExit = new Promise((resolve) => nginx.once('exit', (code, signal) => resolve(code ?? signal)));
  await waitFor('nginx', async () => (await request(undefined, portN, 'GET', '/api/v1/health')).status === 200, 15_000)
    .catch((err) => { throw new Error(`${err.message}\n${nginxOut}\n${safeRead(path.join(conf.dir, 'error.log'))}`); });

  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const { poolId, login } = await arrangePool(agent, portN);
  const tokens = await arrangeConsumers(db, login);
  const cashier = await login('mch.catering.cashier');
  const adminToken = await login('admin');
  agent.destroy();

  await waitFor('both instances scheduling jobs', async () => {
    const { rows } = await db.query(`SELECT count(DISTINCT instance)::int AS n FROM job_runs WHERE trigger = 'schedule' AND instance = ANY($1)`, [[a.instance, b.instance]]);
    return rows[0].n === 2;
  }, 40_000);
  process.stdout.write(`  ..   set up in ${Math.round((Date.now() - t0) / 1000)} s; storm: ${CONSUMERS * CLAIMS_PER_CONSUMER} claims from ${CONSUMERS} consumers, redemptions, instance b killed at ${KILL_AFTER_FRACTION * 100}%\n`);

  let killedAt = null;
  const stormStart = Date.now();
  const { claims, redemptions } = await storm(portN, poolId, tokens, cashier, (fraction) => {
    if (killedAt === null && fraction >= KILL_AFTER_FRACTION) {
      killedAt = Date.now();
      b.child.kill('SIGKILL');
    }
  });
  const stormSeconds = (Date.now() - stormStart) / 1000;
  const byOutcome = (list) => list.reduce((m, r) => {
    const k = r.error ?? `${r.status}${r.status >= 400 && r.body?.code ? ' ' + r.body.code : ''}`;
    m[k] = (m[k] ?? 0) + 1;
    return m;
  }, {});
  process.stdout.write(`  ..   storm took ${stormSeconds.toFixed(1)} s; claims ${JSON.stringify(byOutcome(claims))}; redemptions ${JSON.stringify(byOutcome(redemptions))}\n`);
  check('instance b was killed midway', killedAt !== null && (await b.exit) === 'SIGKILL');

  const ackedClaims = claims.filter((c) => c.status === 201);
  const claimIds = ackedClaims.map((c) => c.body.id);
  const unexpectedClaims = claims.filter((c) => !(c.status === 201 || (c.status === 409 && ['POOL_EXHAUSTED', 'LIMIT_REACHED'].includes(c.body?.code))));
  check('every claim got an answer (201, or 409 sold out / limit), with client retries of the same key', unexpectedClaims.length === 0,
    JSON.stringify(byOutcome(unexpectedClaims)));
  check('claims were acknowledged after instance b died', ackedClaims.some((c) => c.sentAt > killedAt) || claims.some((c) => c.sentAt > killedAt && c.body?.code === 'POOL_EXHAUSTED'));
  const replayed = [...claims, ...redemptions].filter((r) => r.headers?.['idempotent-replayed'] === 'true').length;

  const { rows: [pool] } = await db.query('SELECT budget_fen, available_fen FROM pools WHERE id = $1', [poolId]);
  const { rows: dbVouchers } = await db.query('SELECT id, status FROM vouchers WHERE pool_id = $1', [poolId]);
  const { rows: [journal] } = await db.query(`
    SELECT coalesce(sum(amount_fen) FILTER (WHERE account = 'available'), 0)::bigint AS available,
           coalesce(sum(amount_fen) FILTER (WHERE account IN ('voucher', 'hold')), 0)::bigint AS reserved,
           coalesce(sum(amount_fen) FILTER (WHERE account IN ('spent', 'settled')), 0)::bigint AS spent,
           coalesce(-sum(amount_fen) FILTER (WHERE account = 'budget'), 0)::bigint AS budget
    FROM journal_entries WHERE pool_id = $1`, [poolId]);
  const [jAvail, jRes, jSpent, jBudget] = [journal.available, journal.reserved, journal.spent, journal.budget].map(Number);
  check('no oversell: vouchers ≤ budget / amount and available ≥ 0', dbVouchers.length <= BUDGET_VOUCHERS && Number(pool.available_fen) >= 0,
    `${dbVouchers.length} vouchers of ${BUDGET_VOUCHERS}, available ${pool.available_fen}`);
  check('budget = available + reserved + spent (journal), available matches the live row',
    jBudget === Number(pool.budget_fen) && jBudget === jAvail + jRes + jSpent && jAvail === Number(pool.available_fen)
    && Number(pool.budget_fen) - Number(pool.available_fen) === dbVouchers.length * VOUCHER_FEN,
    `budget ${jBudget} = ${jAvail} + ${jRes} + ${jSpent}`);

  const dbVoucherIds = new Set(dbVouchers.map((v) => v.id));
  // a claim's success is stored as { voucherId } (docs/ARCHITECTURE.md, Idempotency)
  const { rows: storedClaims } = await db.query(`SELECT k.key, v.id FROM idempotency_keys k
    JOIN vouchers v ON v.id::text = k.response_body->>'voucherId'
    WHERE k.scope LIKE 'claim:%' AND k.response_status = 201 AND v.pool_id = $1`, [poolId]);
  const unackedExecuted = storedClaims.filter((s) => !ackedClaims.some((c) => c.key === s.key));
  check('every acknowledged claim exists exactly once', new Set(claimIds).size === claimIds.length && claimIds.every((id) => dbVoucherIds.has(id))
    && storedClaims.length === dbVouchers.length && new Set(storedClaims.map((s) => s.id)).size === dbVouchers.length
    && dbVouchers.length === ackedClaims.length + unackedExecuted.length,
    `${ackedClaims.length} acknowledged, ${dbVouchers.length} in the database, ${unackedExecuted.length} executed but unanswered, ${replayed} replays seen`);

  const ackedRedemptions = redemptions.filter((r) => r.status === 201);
  const redemptionIds = ackedRedemptions.map((r) => r.body.id);
  const { rows: dbRedemptions } = await db.query('SELECT id, voucher_id FROM redemptions WHERE pool_id = $1', [poolId]);
  const dbRedemptionIds = new Set(dbRedemptions.map((r) => r.id));
  const redeemedVouchers = dbVouchers.filter((v) => v.status === 'redeemed').length;
  check('every redemption got a 201', ackedRedemptions.length === redemptions.length && redemptions.length > 0,
    JSON.stringify(byOutcome(redemptions.filter((r) => r.status !== 201))));
  check('every acknowledged redemption exists exactly once, one per voucher',
    new Set(redemptionIds).size === redemptionIds.length && redemptionIds.every((id) => dbRedemptionIds.has(id))
    && dbRedemptions.length === ackedRedemptions.length && new Set(dbRedemptions.map((r) => r.voucher_id)).size === dbRedemptions.length
    && redeemedVouchers === dbRedemptions.length,
    `${ackedRedemptions.length} acknowledged, ${dbRedemptions.length} in the database`);

  const reconcile = await request(undefined, portN, 'GET', '/api/v1/admin/reconcile', { token: adminToken });
  check('GET /api/v1/admin/reconcile through nginx is clean', reconcile.status === 200 && reconcile.body.ok === true && reconcile.body.differences.length === 0,
    reconcile.status === 200 ? JSON.stringify(reconcile.body.differences.slice(0, 3)) : `${reconcile.status}`);

  // let the survivor serve a few more slots alone
  await sleep(12_000);
  const { rows: doubled } = await db.query(`SELECT job, slot, count(*)::int AS n FROM job_runs
    WHERE trigger = 'schedule' AND slot IS NOT NULL GROUP BY job, slot HAVING count(*) > 1`);
  const { rows: perJob } = await db.query(`SELECT job, count(*)::int AS slots,
      count(DISTINCT instance) FILTER (WHERE status <> 'skipped')::int AS executors,
      count(*) FILTER (WHERE status = 'failed')::int AS failed,
      count(*) FILTER (WHERE status = 'running')::int AS running
    FROM job_runs WHERE trigger = 'schedule' AND slot IS NOT NULL GROUP BY job ORDER BY job`);
  const { rows: participants } = await db.query(`SELECT instance, count(*) FILTER (WHERE status <> 'skipped')::int AS ran,
      count(*) FILTER (WHERE status = 'skipped')::int AS skipped FROM job_runs WHERE trigger = 'schedule' GROUP BY instance`);
  process.stdout.write(`  ..   job slots per job: ${perJob.map((j) => `${j.job} ${j.slots}`).join(', ')}; `
    + `per instance: ${participants.map((p) => `${p.instance === a.instance ? 'a' : p.instance === b.instance ? 'b' : p.instance} ran ${p.ran}, skipped ${p.skipped}`).join('; ')}\n`);
  check('every cron job ran at most once per schedule slot across both instances', doubled.length === 0, JSON.stringify(doubled.slice(0, 3)));
  const jobNames = ['pool-schedule', 'grants', 'voucher-expiry', 'hold-void', 'lottery-draw', 'idempotency-retention', 'reconcile'];
  check('every job ran on its schedule, and both instances ran scheduled jobs',
    jobNames.every((n) => perJob.some((j) => j.job === n && j.slots >= 2)) && participants.filter((p) => p.ran > 0 && [a.instance, b.instance].includes(p.instance)).length === 2);
  // a run of the killed instance may stay 'running'; no run may fail
  check('no scheduled job run failed', perJob.every((j) => j.failed === 0), JSON.stringify(perJob.filter((j) => j.failed > 0)));
  const { rows: reconcileRuns } = await db.query(`SELECT rows FROM job_runs WHERE job = 'reconcile' AND status = 'succeeded'`);
  check('every reconcile job run during the storm found no difference (one snapshot)', reconcileRuns.length > 0 && reconcileRuns.every((r) => r.rows === 0),
    `${reconcileRuns.length} runs`);

  a.child.kill('SIGTERM');
  const aExit = await a.exit;
  check('the surviving instance stops on SIGTERM with exit code 0', aExit === 0, String(aExit));
  nginx.kill('SIGQUIT');
  await Promise.race([nginxExit, sleep(5_000)]);
  process.stdout.write(`  ..   total ${Math.round((Date.now() - t0) / 1000)} s\n`);
}

function safeRead(file) {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}

main().then(
  () => {
    process.stdout.write(`nginx: ${passed} passed, ${failed} failed\n`);
    process.exit(failed === 0 ? 0 : 1);
  },
  (err) => {
    process.stdout.write(`nginx: ${passed} passed, ${failed + 1} failed — ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
