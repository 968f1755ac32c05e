/**
 * Owns the Redis connection of a process: one shared client for REDIS_URL, created on first
 * use, reconnecting in the background, closed at shutdown. Counters that must hold across
 * instances and are not worth a database row (rate limits) go here; keys are namespaced by
 * their owner ('hqt:<owner>:…') and always carry an expiry.
 *
 * Commands never wait for a connection: while Redis is unreachable they fail at once (the
 * offline queue is off), so a caller can choose to let the request pass rather than hang.
 * With rate-limit-redis: `new RedisStore({ sendCommand: (...args) => redis.sendCommand(...args) })`.
 */
import { createClient } from 'redis';
import type { Config } from '../config/config';
import type { Logger } from './logger';

export type RedisClient = ReturnType<typeof createRedisClient>;

/** What Redis answers a raw command with (the shape rate-limit-redis expects). */
export type RedisReply = boolean | number | string | (boolean | number | string)[];

export interface SharedRedis {
  /** one raw command, e.g. `sendCommand('INCR', 'hqt:x')`; rejects at once while disconnected */
  sendCommand(...args: string[]): Promise<RedisReply>;
  /** connected and ready for commands */
  readonly ready: boolean;
  /** the node-redis client, for typed commands */
  readonly client: RedisClient;
}

const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_DELAY_MAX_MS = 5_000;
/** one "Redis unreachable" line per this many milliseconds, not one per reconnect attempt */
const ERROR_LOG_INTERVAL_MS = 30_000;

/** A client (not connected) that fails commands fast while down and logs outages sparingly. */
export function createRedisClient(url: string, logger: Logger) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, RECONNECT_DELAY_MAX_MS),
    },
  });
  let lastLoggedMs = 0;
  // node-redis emits 'error' on every failed reconnect; unhandled, it would end the process
  client.on('error', (err: unknown) => {
    const now = Date.now();
    if (now - lastLoggedMs < ERROR_LOG_INTERVAL_MS) return;
    lastLoggedMs = now;
    logger.warn({ err }, 'Redis unreachable; retrying in the background');
  });
  return client;
}

let shared: { url: string; redis: SharedRedis; connecting: Promise<unknown> } | null = null;

/** The process's Redis for REDIS_URL (null when unset). The first call starts connecting. */
export function sharedRedis(config: Pick<Config, 'redisUrl'>, logger: Logger): SharedRedis | null {
  if (!config.redisUrl) return null;
  if (shared && shared.url !== config.redisUrl) throw new Error('assertion: one REDIS_URL per process');
  if (shared) return shared.redis;
  const client = createRedisClient(config.redisUrl, logger);
  const redis: SharedRedis = {
    client,
    get ready() {
      return client.isReady;
    },
    async sendCommand(...args: string[]) {
      if (!client.isReady) throw new Error('Redis is not connected');
      return (await client.sendCommand(args)) as RedisReply;
    },
  };
  // a failed first attempt is retried by the reconnect strategy; the error listener logs it
  const connecting = client.connect().catch(() => undefined);
  shared = { url: config.redisUrl, redis, connecting };
  return redis;
}

/** Resolves when the shared client is ready, or rejects after `timeoutMs` (start-up checks, tests). */
export async function whenRedisReady(redis: SharedRedis, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!redis.ready) {
    if (Date.now() > until) throw new Error(`Redis not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Closes the shared client, if any (shutdown). */
export async function closeSharedRedis(): Promise<void> {
  const current = shared;
  shared = null;
  if (!current) return;
  const client = current.redis.client;
  if (client.isReady) return client.close();
  // still connecting: destroy stops the retries, and an attempt already in its handshake
  // that completes afterwards is destroyed as it becomes ready
  if (client.isOpen) {
    client.once('ready', () => client.destroy());
    client.destroy();
  }
}
