/**
 * Owns graceful shutdown. On SIGTERM (or SIGINT):
 * 1. report not-ready at once (/api/v1/ready answers 503; every answer carries
 *    `Connection: close`, so keep-alive clients move to another instance), optionally keep
 *    accepting for SHUTDOWN_DELAY_MS while a load balancer notices, then stop accepting
 *    connections and stop scheduling jobs;
 * 2. run the registered flush callbacks (a claim batcher flushes the batch in flight);
 * 3. let in-flight requests and job runs finish, within SHUTDOWN_GRACE_MS, then cut what is left;
 * 4. close the databases and Redis, and exit 0.
 * Everything is bounded: a step that overruns is logged and the next one runs.
 */
import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger';

export type FlushCallback = () => Promise<void>;

/** Callbacks run once on shutdown, after the listener closes and before the database does. */
export class ShutdownHooks {
  private readonly flushers = new Map<string, FlushCallback>();

  /** Registers a flush; returns its unregistration. The name appears in logs. */
  onFlush(name: string, flush: FlushCallback): () => void {
    if (this.flushers.has(name)) throw new Error(`assertion: flush ${name} registered twice`);
    this.flushers.set(name, flush);
    return () => this.flushers.delete(name);
  }

  names(): string[] {
    return [...this.flushers.keys()];
  }

  /** Runs every flush at once; each failure is logged, none stops the others. */
  async flushAll(logger: Logger, timeoutMs: number): Promise<void> {
    const runs = [...this.flushers].map(async ([name, flush]) => {
      try {
        await flush();
      } catch (err) {
        logger.error({ err, flush: name }, 'flush on shutdown failed');
      }
    });
    if (!(await within(Promise.all(runs), timeoutMs))) logger.warn({ flushes: this.names() }, 'flushes still running at the deadline');
  }
}

export interface ShutdownState {
  shuttingDown: boolean;
}

/** Once shutting down, every answer closes its connection so keep-alive clients reconnect elsewhere. */
export function closeConnectionsWhenShuttingDown(state: ShutdownState) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: unknown[]) {
      if (state.shuttingDown && !this.headersSent) this.setHeader('Connection', 'close');
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
    next();
  };
}

/** True when `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface GracefulShutdown {
  state: ShutdownState;
  /** the HTTP servers to drain (the API; the metrics port closes with them) */
  servers: Server[];
  hooks: ShutdownHooks;
  /** stops scheduling jobs */
  stopJobs(): Promise<void>;
  /** resolves when no job run is in progress */
  jobsIdle(): Promise<void>;
  /** closes the databases, Redis and the data-directory lock */
  close(): Promise<void>;
  graceMs: number;
  delayMs: number;
  logger: Logger;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Runs the four steps; resolves when the process may exit 0. */
export async function shutDown(plan: GracefulShutdown, signal: string): Promise<void> {
  const { logger } = plan;
  const t0 = Date.now();
  plan.state.shuttingDown = true;
  logger.info({ signal, graceMs: plan.graceMs }, 'shutting down: not ready');
  if (plan.delayMs > 0) await new Promise((r) => setTimeout(r, plan.delayMs));
  const drained = Promise.all(plan.servers.map(closeServer));
  await plan.stopJobs();
  await plan.hooks.flushAll(logger, plan.graceMs);
  const left = () => Math.max(0, plan.graceMs - (Date.now() - t0 - plan.delayMs));
  if (!(await within(drained, left()))) {
    logger.warn('in-flight requests still open at the grace deadline; closing their connections');
    for (const server of plan.servers) server.closeAllConnections();
  }
  if (!(await within(plan.jobsIdle(), left()))) logger.warn('a job run is still in progress at the grace deadline');
  await plan.close();
  logger.info({ ms: Date.now() - t0 }, 'stopped');
}

/** SIGTERM and SIGINT start the shutdown once; a second signal is ignored, a stuck close is cut off. */
export function exitOnSignals(plan: GracefulShutdown, exit: (code: number) => never = process.exit): void {
  let started = false;
  const onSignal = (signal: string): void => {
    if (started) return;
    started = true;
    const hardStop = setTimeout(() => {
      plan.logger.error('shutdown overran its bound; exiting');
      exit(1);
    }, plan.delayMs + plan.graceMs + 10_000);
    hardStop.unref();
    shutDown(plan, signal).then(
      () => exit(0),
      (err: unknown) => {
        plan.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
