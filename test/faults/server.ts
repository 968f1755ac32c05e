/**
 * The real server as a child process (node server/dist/main.js, so `npm run build` first):
 * start, wait for readiness, SIGKILL, restart; and a small HTTP client with a timeout whose
 * failures are "outcome unknown" rather than errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'server', 'dist', 'main.js');
const REQUEST_TIMEOUT_MS = 8_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export class ServerProcess {
  child: ChildProcess | null = null;
  output = '';
  exit: Promise<number | null> = Promise.resolve(null);

  constructor(readonly port: number, readonly env: Record<string, string>) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): void {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(this.port), LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.output = '';
    child.stdout?.on('data', (d: Buffer) => { this.output = (this.output + d.toString()).slice(-200_000); });
    child.stderr?.on('data', (d: Buffer) => { this.output = (this.output + d.toString()).slice(-200_000); });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`server exited ${String(this.child?.exitCode ?? this.child?.signalCode)}: ${this.output.slice(-2000)}`);
      try {
        const res = await fetch(`${this.url}/api/v1/ready`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`server not ready within ${timeoutMs} ms: ${this.output.slice(-2000)}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child?.kill(signal);
    await this.exit;
  }

  /** false once the process has exited, by itself or by a signal */
  get running(): boolean {
    return Boolean(this.child) && this.child?.exitCode === null && this.child?.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Answer {
  /** 0: no answer (refused connection, reset, timeout): the outcome is unknown */
  status: number;
  body: Record<string, unknown>;
  headers: Headers | null;
}

export async function call(base: string, method: string, url: string, opts: { token?: string; body?: unknown; key?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.key) headers['Idempotency-Key'] = opts.key;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const res = await fetch(`${base}/api/v1${url}`, {
      method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) as Record<string, unknown> : {};
    } catch {
      body = { text };
    }
    return { status: res.status, body, headers: res.headers };
  } catch {
    return { status: 0, body: {}, headers: null };
  }
}
