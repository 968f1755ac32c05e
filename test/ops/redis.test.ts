/**
 * The shared Redis client (platform/redis.ts) that cross-instance counters use: one client per
 * process, namespaced keys with expiry, commands that fail at once rather than hang while Redis
 * is unreachable, and a clean close at shutdown. Needs Redis at REDIS_URL (CI: 127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { closeSharedRedis, createRedisClient, sharedRedis, whenRedisReady } from '../../server/src/platform/redis';
import { createLogger } from '../../server/src/platform/logger';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger('silent');

describe('shared Redis client', () => {
  afterEach(async () => {
    await closeSharedRedis();
  });

  test('when REDIS_URL is unset, then there is no client (counters stay in PostgreSQL or memory)', () => {
    expect(sharedRedis({ redisUrl: null }, logger)).toBeNull();
  });

  test('when asked twice, then one client serves the process; commands run; close ends it', async () => {
    const redis = sharedRedis({ redisUrl: REDIS_URL }, logger);
    expect(redis).not.toBeNull();
    expect(sharedRedis({ redisUrl: REDIS_URL }, logger)).toBe(redis);
    await whenRedisReady(redis!, 5_000);
    const key = `hqt:test:${randomBytes(6).toString('hex')}`;
    expect(await redis!.sendCommand('SET', key, '41', 'EX', '30')).toBe('OK');
    expect(await redis!.sendCommand('INCR', key)).toBe(42);
    const ttl = await redis!.sendCommand('TTL', key);
    expect(ttl).toBeGreaterThan(0);
    await redis!.sendCommand('DEL', key);
    await closeSharedRedis();
    expect(redis!.client.isOpen).toBe(false);
    expect(sharedRedis({ redisUrl: REDIS_URL }, logger)).not.toBe(redis);
  });

  test('when Redis is unreachable, then a command fails at once instead of waiting for a connection', async () => {
    const redis = sharedRedis({ redisUrl: 'redis://127.0.0.1:1' }, logger);
    const t0 = Date.now();
    await expect(redis!.sendCommand('PING')).rejects.toThrow(/not connected/);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(redis!.ready).toBe(false);
  });

  test('when a dedicated client is made, then it is not connected until asked to', async () => {
    const client = createRedisClient(REDIS_URL, logger);
    expect(client.isOpen).toBe(false);
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    await client.close();
  });
});
