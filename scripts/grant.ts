/**
 * 免申即享 from the command line: uploads a grant list (or asks for every matching holder),
 * shows a progress bar until every row is processed, then writes the result CSV
 * (docs/ISSUANCE.md has the formats).
 *
 *   HQT_PASSWORD=… npm run grant -- --pool <poolId> --file list.csv [--out result.csv]
 *       [--server http://localhost:3000] [--login jxw.manager] [--timeout-minutes 30]
 *   HQT_PASSWORD=… npm run grant -- --pool <poolId> --all-matching
 *   npm run grant -- --direct --as jxw.manager --pool <poolId> --file list.csv
 *
 * Over HTTP the server's `grants` job (every minute) issues the vouchers. With --direct the
 * script opens the configured database itself (DATABASE_URL, or the embedded one in DATA_DIR
 * while no server holds it), acts as the named user, and runs the job until the batch is done.
 *
 * Exit code 0: every row processed; 1: refused or failed; 2: bad arguments; 3: rows still
 * pending (the pool is not open yet, or the timeout passed).
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { GrantBatch } from '../shared/src/grants/grants.types';
import { createServices } from '../server/src/app/create-app';
import * as identity from '../server/src/capabilities/identity/identity.repository';
import { loadConfig } from '../server/src/config/config';
import { systemClock } from '../server/src/platform/clock';
import { createLogger } from '../server/src/platform/logger';
import { migrate } from '../server/src/platform/migrate';
import { openDatabase } from '../server/src/platform/open-db';

interface Options {
  pool: string;
  file: string | null;
  out: string | null;
  server: string;
  login: string;
  password: string | null;
  direct: boolean;
  timeoutMs: number;
}

class UsageError extends Error {}
class StillPending extends Error {}

const POLL_MS = 1000;
const TOKEN_REFRESH_MS = 10 * 60_000;

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      pool: { type: 'string' }, file: { type: 'string' }, 'all-matching': { type: 'boolean', default: false },
      out: { type: 'string' }, server: { type: 'string', default: 'http://localhost:3000' }, login: { type: 'string' },
      as: { type: 'string' }, password: { type: 'string' }, direct: { type: 'boolean', default: false },
      'timeout-minutes': { type: 'string', default: '30' },
    },
  });
  if (!values.pool || !/^[0-9a-f-]{36}$/i.test(values.pool)) throw new UsageError('--pool <pool id> is required');
  if (Boolean(values.file) === values['all-matching']) throw new UsageError('give either --file <list.csv> or --all-matching');
  const timeoutMinutes = Number(values['timeout-minutes']);
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0 || timeoutMinutes > 24 * 60) throw new UsageError('--timeout-minutes is 1 to 1440');
  return {
    pool: values.pool, file: values.file ?? null, out: values.out ?? null, server: values.server.replace(/\/+$/, ''),
    login: values.as ?? values.login ?? 'jxw.manager', password: values.password ?? process.env.HQT_PASSWORD ?? null,
    direct: values.direct, timeoutMs: timeoutMinutes * 60_000,
  };
}

/** Follows a batch with a progress bar until it is done; `step` is awaited between polls. */
async function follow(first: GrantBatch, read: () => Promise<GrantBatch>, step: () => Promise<boolean>, timeoutMs: number): Promise<GrantBatch> {
  const bar = new cliProgress.SingleBar({
    format: '免申即享 {bar} {percentage}% | {value}/{total} rows | granted {granted} | skipped {skipped}', hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let batch = first;
  bar.start(Math.max(batch.total, 1), batch.processed, { granted: batch.granted, skipped: batch.skipped });
  const deadline = Date.now() + timeoutMs;
  try {
    while (batch.status !== 'done') {
      if (Date.now() > deadline) throw new StillPending(`timed out with ${batch.total - batch.processed} rows pending`);
      const progressed = await step();
      batch = await read();
      bar.update(batch.processed, { granted: batch.granted, skipped: batch.skipped });
      if (!progressed && batch.status !== 'done') throw new StillPending(`${batch.total - batch.processed} rows wait for the pool to open`);
    }
  } finally {
    bar.stop();
  }
  return batch;
}

// ---- over HTTP ----

class Api {
  private token: string | null = null;
  private tokenAt = 0;

  constructor(private readonly base: string, private readonly login: string, private readonly password: string) {}

  private async bearer(): Promise<string> {
    if (this.token && Date.now() - this.tokenAt < TOKEN_REFRESH_MS) return this.token;
    const res = await fetch(`${this.base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: this.login, password: this.password }),
    });
    const body = await this.answer(res) as { accessToken: string };
    this.token = body.accessToken;
    this.tokenAt = Date.now();
    return this.token;
  }

  private async answer(res: Response): Promise<unknown> {
    const text = await res.text();
    if (res.ok) return res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    const problem = (() => { try { return JSON.parse(text) as { code?: string; detail?: string; title?: string }; } catch { return {}; } })();
    throw new Error(`${res.status} ${problem.code ?? ''}: ${problem.detail ?? problem.title ?? text.slice(0, 200)}`);
  }

  /** The raw bytes of a download (Response.text() would drop the CSV's BOM). */
  async bytes(route: string): Promise<Buffer> {
    const res = await fetch(`${this.base}/api/v1${route}`, { headers: { authorization: `Bearer ${await this.bearer()}` } });
    if (!res.ok) await this.answer(res);
    return Buffer.from(await res.arrayBuffer());
  }

  async request(method: string, route: string, body?: FormData | object): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.bearer()}` };
    if (body && !(body instanceof FormData)) headers['content-type'] = 'application/json';
    const payload = body instanceof FormData ? body : body ? JSON.stringify(body) : null;
    return this.answer(await fetch(`${this.base}/api/v1${route}`, { method, headers, body: payload }));
  }
}

async function overHttp(o: Options): Promise<{ batch: GrantBatch; csv: Buffer }> {
  if (!o.password) throw new UsageError('set HQT_PASSWORD (or --password) for --login');
  const api = new Api(o.server, o.login, o.password);
  let created: GrantBatch;
  if (o.file) {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(o.file)], { type: 'text/csv' }), path.basename(o.file));
    created = await api.request('POST', `/pools/${o.pool}/grants`, form) as GrantBatch;
  } else {
    created = await api.request('POST', `/pools/${o.pool}/grants`, { mode: 'all_matching' }) as GrantBatch;
  }
  process.stderr.write(`grant ${created.id}: ${created.total} rows; the server's grants job takes them up within a minute\n`);
  const read = async () => await api.request('GET', `/grants/${created.id}`) as GrantBatch;
  const wait = async () => { await new Promise((r) => setTimeout(r, POLL_MS)); return true; };
  const batch = await follow(created, read, wait, o.timeoutMs);
  return { batch, csv: await api.bytes(`/grants/${created.id}/result.csv`) };
}

// ---- directly on the database ----

async function direct(o: Options): Promise<{ batch: GrantBatch; writeCsv: (file: string) => Promise<void>; close: () => Promise<void> }> {
  const config = loadConfig(process.env);
  const logger = createLogger('warn');
  const opened = await openDatabase(config, logger, 'hqt-grant');
  try {
    await migrate(opened.db);
    const user = await identity.findUserForLogin(opened.db, o.login);
    if (!user || user.status !== 'active') throw new UsageError(`no active user ${o.login}`);
    const actor = { userId: user.id, memberships: (await identity.membershipsOf(opened.db, user.id)).map((m) => ({ orgId: m.org_id, role: m.role })) };
    const services = createServices({ config, db: opened.db, logger, clock: systemClock });
    const created = o.file
      ? await services.grants.createFromCsv(actor, o.pool, path.basename(o.file), readFileSync(o.file))
      : await services.grants.createAllMatching(actor, o.pool);
    const step = async () => {
      const run = await services.jobs.run('grants', 'manual');
      if (run.status === 'failed') throw new Error(`the grants job failed: ${run.error}`);
      if (run.status === 'skipped') await new Promise((r) => setTimeout(r, POLL_MS));
      return run.status === 'skipped' || run.rows > 0;
    };
    const batch = await follow(created, () => services.grants.get(actor, created.id), step, o.timeoutMs);
    const writeCsv = async (file: string) => {
      const out = createWriteStream(file);
      for await (const page of await services.grants.resultCsv(actor, created.id)) out.write(page);
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    };
    return { batch, writeCsv, close: opened.close };
  } catch (err) {
    await opened.close();
    throw err;
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  if (o.direct) {
    const { batch, writeCsv, close } = await direct(o);
    try {
      const out = o.out ?? `grant-${batch.id}-result.csv`;
      await writeCsv(out);
      report(batch, out);
    } finally {
      await close();
    }
    return;
  }
  const { batch, csv } = await overHttp(o);
  const out = o.out ?? `grant-${batch.id}-result.csv`;
  writeFileSync(out, csv);
  report(batch, out);
}

function report(batch: GrantBatch, out: string): void {
  process.stdout.write(`grant ${batch.id}: ${batch.granted} granted, ${batch.skipped} skipped of ${batch.total}; result in ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`grant: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : err instanceof StillPending ? 3 : 1;
});
