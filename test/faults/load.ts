/**
 * The mixed load of the fault runs and its bookkeeping: claims, redemptions, reversals and
 * the expiry job from a few concurrent clients. Every mutation carries an Idempotency-Key
 * (reversals are idempotent by redemption id); an answer of 0 (no answer) or 5xx leaves the
 * outcome unknown, and the operation is retried later with the same key and body.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { dynamicMessage, formatDynamicToken, qrStep } from '@hqt/shared';
import { call, sleep, type Answer } from './server';

export interface Op {
  kind: 'claim' | 'redeem' | 'reverse';
  method: 'POST';
  url: string;
  token: string;
  key?: string;
  body: Record<string, unknown>;
  state: 'unknown' | 'acked' | 'refused';
  /** the id in the first 2xx answer */
  id?: string;
  status?: number;
  code?: string;
  /** the latest answer that left the outcome unknown */
  lastAnswer?: string;
}

export interface Wallet {
  voucherId: string;
  code: string;
  qrKey: string;
  poolId: string;
  redeemed: boolean;
}

export interface Actors {
  admin: string;
  cashier: string;
  consumers: string[];
  /** `expiring`'s vouchers are valid until `expiresAtMs` */
  pools: { main: string; expiring: string; all: string[]; expiresAtMs: number };
}

export class Book {
  readonly ops: Op[] = [];
  readonly wallets: Wallet[] = [];
  readonly violations: string[] = [];
  jobRuns = 0;

  acked(kind: Op['kind']): Op[] {
    return this.ops.filter((o) => o.kind === kind && o.state === 'acked');
  }

  unknown(): Op[] {
    return this.ops.filter((o) => o.state === 'unknown');
  }

  /** Records an answer; a second 2xx for the same key must name the same object. */
  settle(op: Op, a: Answer): void {
    if (a.status === 0 || a.status >= 500 || a.body.code === 'IDEMPOTENCY_IN_PROGRESS') {
      op.lastAnswer = `${a.status} ${String(a.body.code ?? '')} ${String(a.body.detail ?? '')}`.slice(0, 200);
      return;
    }
    const id = (op.kind === 'reverse' ? (a.body.reversal as { id?: string } | undefined)?.id : a.body.id) as string | undefined;
    if (a.status < 300) {
      if (op.state === 'acked' && op.id !== id) this.violations.push(`${op.kind} ${op.key ?? op.url}: replay answered ${id}, first answer ${op.id}`);
      if (op.state === 'refused') this.violations.push(`${op.kind} ${op.key ?? op.url}: refused (${op.code}), later accepted`);
      if (op.state !== 'acked' && op.kind === 'claim') {
        const qr = a.body.qr as { key?: string } | undefined;
        this.wallets.push({ voucherId: id as string, code: a.body.code as string, qrKey: qr?.key as string, poolId: a.body.poolId as string, redeemed: false });
      }
      op.state = 'acked';
      op.id = id;
    } else if (op.state !== 'acked') {
      op.state = 'refused';
      op.code = a.body.code as string;
    } else if (op.kind !== 'reverse') {
      this.violations.push(`${op.kind} ${op.key}: acked as ${op.id}, replay refused ${a.status} ${String(a.body.code)}`);
    }
    op.status = a.status;
  }
}

function walletToken(w: Wallet, atMs: number): string {
  const step = qrStep(atMs);
  const mac = createHmac('sha256', Buffer.from(w.qrKey, 'base64url')).update(dynamicMessage(w.code, step)).digest('base64url');
  return formatDynamicToken(w.code, step, mac);
}

function pick<T>(items: T[]): T | undefined {
  return items[Math.floor(Math.random() * items.length)];
}

/** Sends an operation (again) and books the answer. */
export async function send(base: string, book: Book, op: Op): Promise<void> {
  book.settle(op, await call(base, op.method, op.url, { token: op.token, body: op.body, ...(op.key ? { key: op.key } : {}) }));
}

async function step(base: () => string, book: Book, actors: Actors): Promise<void> {
  const r = Math.random();
  if (r < 0.45) {
    const pool = Math.random() < 0.15 ? actors.pools.expiring : actors.pools.main;
    const op: Op = { kind: 'claim', method: 'POST', url: `/pools/${pool}/claims`, token: pick(actors.consumers) as string, key: randomUUID(), body: {}, state: 'unknown' };
    book.ops.push(op);
    return send(base(), book, op);
  }
  if (r < 0.8) {
    const w = pick(book.wallets.filter((x) => !x.redeemed && x.qrKey));
    if (!w) return;
    w.redeemed = true;
    const op: Op = {
      kind: 'redeem', method: 'POST', url: '/redemptions', token: actors.cashier, key: randomUUID(),
      body: { token: walletToken(w, Date.now()), orderAmountFen: 40_000, orderRef: `f-${randomUUID().slice(0, 8)}` }, state: 'unknown',
    };
    book.ops.push(op);
    return send(base(), book, op);
  }
  if (r < 0.9) {
    const done = new Set(book.ops.filter((o) => o.kind === 'reverse').map((o) => o.url));
    const target = pick(book.acked('redeem').filter((o) => !done.has(`/redemptions/${o.id}/reversal`)));
    if (!target) return;
    const op: Op = { kind: 'reverse', method: 'POST', url: `/redemptions/${target.id}/reversal`, token: actors.cashier, body: { reason: 'fault test' }, state: 'unknown' };
    book.ops.push(op);
    return send(base(), book, op);
  }
  if (r < 0.95) {
    book.jobRuns++;
    await call(base(), 'POST', '/admin/jobs/voucher-expiry/run', { token: actors.admin });
    return;
  }
  // replay an acknowledged operation: it must answer the same object
  const old = pick(book.ops.filter((o) => o.state === 'acked' && o.kind !== 'reverse'));
  if (old) await send(base(), book, old);
}

/** Runs `clients` loops until `stop()` is called; returns a function that stops and waits for them. */
export function runLoad(base: () => string, book: Book, actors: Actors, clients = 6): () => Promise<void> {
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      await step(base, book, actors);
      await sleep(5);
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
  };
}

/** Retries every operation of unknown outcome with its key and body until it has an answer. */
export async function resolveUnknown(base: string, book: Book, attempts = 8): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const open = book.unknown();
    if (open.length === 0) return 0;
    for (const op of open) await send(base, book, op);
    if (book.unknown().length > 0) await sleep(500);
  }
  return book.unknown().length;
}
