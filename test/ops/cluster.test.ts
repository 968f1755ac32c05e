/**
 * WORKERS=2 on the PostgreSQL server: the primary forks two server processes on one port,
 * serves their summed metrics on METRICS_PORT (and to a worker asked for /metrics with the
 * token), restarts a worker that is killed, and on SIGTERM stops both gracefully and exits 0.
 * (Embedded PGlite refuses WORKERS > 1: test/ops/ops-config.test.ts.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openTestDb } from '../helpers/harness';

const ROOT = path.resolve(__dirname, '..', '..');
const TOKEN = 'cluster-metrics-token-0123456789';
const onServer = process.env.DATABASE_URL ? test : test.skip;

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

async function until<T>(what: string, probe: () => Promise<T | null> | T | null, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function listeningPids(output: string): number[] {
  return output.split('\n').filter((l) => l.includes('listening on')).map((l) => (JSON.parse(l) as { pid: number }).pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const healthCount = (text: string): number => text.split('\n')
  .filter((l) => l.startsWith('hqt_http_requests_total{') && l.includes('route="/api/v1/health"'))
  .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

describe('WORKERS=2 (node cluster)', () => {
  onServer('when run with two workers, then both serve one port, metrics are summed, a killed worker is replaced and SIGTERM exits 0', async () => {
    const testDb = await openTestDb();
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH, NODE_ENV: 'development', DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'hqt-cluster-')),
        DATABASE_URL: testDb.url as string, WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', METRICS_PORT: String(metricsPort),
        METRICS_TOKEN: TOKEN, LOG_LEVEL: 'info', BCRYPT_COST: '4', SHUTDOWN_GRACE_MS: '5000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const workers = await until('two workers', () => (listeningPids(out).length === 2 ? listeningPids(out) : null));
      expect(new Set(workers).size).toBe(2);
      expect(workers).not.toContain(child.pid);
      expect(out.match(/seeded demo data/g)).toHaveLength(1);

      for (let i = 0; i < 40; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { headers: { connection: 'close' } });
        expect(res.status).toBe(200);
      }
      const summed = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(healthCount(summed)).toBe(40);
      const viaWorker = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(viaWorker.status).toBe(200);
      expect(healthCount(await viaWorker.text())).toBe(40);

      process.kill(workers[0] as number, 'SIGKILL');
      const replacement = await until('a replacement worker', () => listeningPids(out).find((p) => !workers.includes(p)) ?? null);
      expect(out).toMatch(/worker died; starting a replacement/);
      expect(alive(replacement)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/ready`)).status).toBe(200);

      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(out).toMatch(/primary: stopped/);
      expect([workers[1] as number, replacement].filter(alive)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of listeningPids(out)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await testDb.drop();
    }
  }, 120_000);
});
