/**
 * Owns WORKERS > 1: node's cluster module. The primary holds no database; it forks the
 * workers (each a whole server: migrations under their advisory lock, jobs whose slot rows
 * make each scheduled run happen once), restarts a worker that dies, forwards SIGTERM and
 * waits for every worker's graceful shutdown, and serves the workers' summed metrics on
 * METRICS_PORT. A worker answering /metrics (METRICS_TOKEN) asks the primary for that sum.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/config';
import type { Logger } from './logger';
import { setMetricsTextProvider, startMetricsServer } from './metrics';

const RESTART_DELAY_MIN_MS = 500;
const RESTART_DELAY_MAX_MS = 30_000;
/** a worker that lived this long is healthy: its replacement starts without delay growth */
const STABLE_UPTIME_MS = 30_000;
const METRICS_REQUEST_TIMEOUT_MS = 10_000;
const METRICS_REQ = 'hqt:metrics-req';
const METRICS_RES = 'hqt:metrics-res';

interface MetricsRequest { type: typeof METRICS_REQ; id: number }
interface MetricsResponse { type: typeof METRICS_RES; id: number; text?: string; error?: string }

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** The primary of WORKERS > 1: forks, restarts, aggregates metrics, shuts the workers down. */
export async function runPrimary(config: Readonly<Config>, logger: Logger): Promise<void> {
  const aggregator = new AggregatorRegistry();
  const started = new Map<number, number>(); // worker id → start time
  let restartDelayMs = RESTART_DELAY_MIN_MS;
  let stopping = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    started.set(worker.id, Date.now());
    worker.on('message', (msg: MetricsRequest) => {
      if (msg?.type !== METRICS_REQ) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_RES, id: msg.id, text } satisfies MetricsResponse),
        (err: unknown) => worker.send({ type: METRICS_RES, id: msg.id, error: (err as Error).message } satisfies MetricsResponse),
      );
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const livedMs = Date.now() - (started.get(worker.id) ?? Date.now());
    started.delete(worker.id);
    if (stopping) return;
    restartDelayMs = livedMs >= STABLE_UPTIME_MS ? RESTART_DELAY_MIN_MS : Math.min(restartDelayMs * 2, RESTART_DELAY_MAX_MS);
    logger.error({ worker: worker.process.pid, code, signal, restartInMs: restartDelayMs }, 'worker died; starting a replacement');
    setTimeout(() => { if (!stopping) fork(); }, restartDelayMs);
  });

  logger.info({ workers: config.workers, pid: process.pid }, `primary: starting ${config.workers} workers`);
  for (let i = 0; i < config.workers; i++) fork();

  let metricsServer: Server | null = null;
  if (config.metricsPort !== null) {
    metricsServer = await startMetricsServer(config.metricsPort, config.host, logger, () => aggregator.clusterMetrics());
  }

  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'primary: stopping the workers');
    metricsServer?.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exits = workers.map((w) => new Promise<number>((resolve) => {
      if (w.isDead()) return resolve(0);
      w.once('exit', (code) => resolve(code ?? 1));
      w.process.kill('SIGTERM');
    }));
    const hardStop = setTimeout(() => {
      logger.error('primary: workers overran the shutdown bound; killing them');
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, config.shutdownDelayMs + config.shutdownGraceMs + 5_000);
    void Promise.all(exits).then((codes) => {
      clearTimeout(hardStop);
      const ok = codes.every((c) => c === 0);
      logger.info({ codes }, ok ? 'primary: stopped' : 'primary: a worker did not stop cleanly');
      process.exit(ok ? 0 : 1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** In a worker: answer the primary's metric requests, and serve /metrics with the cluster's sum. */
export function joinClusterMetrics(): void {
  if (!cluster.isWorker) return;
  new AggregatorRegistry(); // registers this worker's answer to the primary's metric requests
  const pending = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  let nextId = 1;
  process.on('message', (msg: MetricsResponse) => {
    if (msg?.type !== METRICS_RES) return;
    const waiter = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
    else waiter?.resolve(msg.text ?? '');
  });
  setMetricsTextProvider(() => new Promise<string>((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('the cluster primary did not answer the metrics request'));
    }, METRICS_REQUEST_TIMEOUT_MS);
    pending.set(id, {
      resolve: (text) => { clearTimeout(timer); resolve(text); },
      reject: (err) => { clearTimeout(timer); reject(err); },
    });
    process.send?.({ type: METRICS_REQ, id } satisfies MetricsRequest);
  }));
}
