/**
 * The real server process on embedded PostgreSQL: first start creates the data directory and
 * says so, a second process on the same directory refuses to start, SIGTERM closes cleanly,
 * and a restart finds the data (demo data is not seeded twice).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

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

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function startServer(dataDir: string, port: number): Started {
  // `node --import tsx` (not the tsx wrapper, which force-kills a child slow to acknowledge SIGTERM)
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT, env: { PATH: process.env.PATH, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', BCRYPT_COST: '4' },
    stdio: ['ignore', 'pipe', 'pipe'],
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
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/ready`);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('server did not become ready');
}

describe('server process on embedded PostgreSQL', () => {
  test('when started twice on one data directory, then the second refuses; SIGTERM closes cleanly; a restart keeps the data', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hqt-proc-'));
    const port = await freePort();
    const first = startServer(dataDir, port);
    try {
      await waitReady(port);
      expect(first.output()).toMatch(/first start takes several seconds/);
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'hqt-demo-2025' }),
      });
      expect(login.status).toBe(200);

      const second = startServer(dataDir, await freePort());
      expect(await second.exit).toBe(1);
      expect(second.output()).toMatch(/in use by process \d+/);

      first.child.kill('SIGTERM');
      expect(await first.exit).toBe(0);
      expect(existsSync(path.join(dataDir, 'hqt.lock'))).toBe(false);

      const again = startServer(dataDir, port);
      try {
        await waitReady(port);
        expect(again.output()).not.toMatch(/first start takes several seconds/);
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'hqt-demo-2025' }),
        });
        expect(res.status).toBe(200);
      } finally {
        again.child.kill('SIGTERM');
        expect(await again.exit).toBe(0);
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
  }, 180_000);
});
