/**
 * Owns the abuse controls on the endpoints worth attacking (express-rate-limit):
 * - login: per client IP and login name, so a guesser is slowed on one account without
 *   locking out a whole office behind one NAT (failed logins also lock the account:
 *   LOGIN_LOCKED in identity);
 * - claims, lottery entries, redemptions (and previews): per signed-in user, never per IP,
 *   so that thousands of consumers behind one carrier-grade NAT are not throttled together.
 * Counters live in Redis when REDIS_URL is set (shared by every instance), else in memory.
 * A client over its limit gets 429 RATE_LIMITED (problem+json) with Retry-After. If Redis is
 * down the request passes: the limits guard against abuse, they are not worth an outage.
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { RateLimits } from '../config/config';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/logger';
import type { RedisReply, SharedRedis } from '../platform/redis';
import type { TokenService } from '../capabilities/identity';
import { HttpProblem } from './problem';

export interface RateLimitDeps {
  limits: Readonly<RateLimits>;
  tokens: TokenService;
  clock: Clock;
  logger: Logger;
  /** the process's shared Redis client (platform/redis sharedRedis); null: counters in this process's memory */
  redis: SharedRedis | null;
  /** key prefix in Redis (tests isolate their runs with it) */
  prefix?: string;
}

const LOGIN_NAME_CHARS_MAX = 64;
/** a Redis command slower than this counts as a store error: the request passes */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

function clientIp(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** The verified user id of the bearer token; requests without a valid one are keyed by IP (they get 401 anyway). */
function userKey(tokens: TokenService, clock: Clock) {
  return (req: Request): string => {
    const match = /^Bearer (\S{10,4096})$/.exec(req.headers.authorization ?? '');
    if (match) {
      try {
        return `user:${tokens.verify(match[1] as string, Math.floor(clock.now().getTime() / 1000)).userId}`;
      } catch {
        // an invalid token: the route answers 401; count it against the address
      }
    }
    return `ip:${clientIp(req)}`;
  };
}

function loginKey(req: Request): string {
  const body = req.body as { login?: unknown } | undefined;
  const login = typeof body?.login === 'string' ? body.login.trim().toLowerCase().slice(0, LOGIN_NAME_CHARS_MAX) : '';
  return `login:${clientIp(req)}:${login}`;
}

/** One command on the shared client, bounded in time (a Redis that accepts but does not answer must not hang requests). */
async function send(redis: SharedRedis, args: string[]): Promise<RedisReply> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`redis: no answer within ${REDIS_COMMAND_TIMEOUT_MS} ms`)), REDIS_COMMAND_TIMEOUT_MS);
  });
  try {
    const command = redis.sendCommand(...args);
    command.catch(() => undefined); // settled after the timeout: nobody waits any more
    return await Promise.race([command, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * rate-limit-redis loads its Lua scripts once at start; if Redis is down then, that load
 * would fail for good. Answering SCRIPT LOAD with the script's SHA1 (what Redis itself
 * returns) lets EVALSHA fail with NOSCRIPT later, and the store then loads the script.
 */
function resilientSend(redis: SharedRedis) {
  return async (...args: string[]): Promise<RedisReply> => {
    if (args[0]?.toUpperCase() === 'SCRIPT' && args[1]?.toUpperCase() === 'LOAD') {
      try {
        return await send(redis, args);
      } catch {
        return createHash('sha1').update(args[2] ?? '').digest('hex');
      }
    }
    return send(redis, args);
  };
}

function storeFor(deps: RateLimitDeps, name: string): Store | undefined {
  if (!deps.redis) return undefined; // express-rate-limit's MemoryStore
  return new RedisStore({ sendCommand: resilientSend(deps.redis), prefix: `${deps.prefix ?? 'hqt:rl:'}${name}:` });
}

function limiter(deps: RateLimitDeps, name: string, limit: number, keyGenerator: (req: Request) => string): RequestHandler {
  return rateLimit({
    windowMs: deps.limits.windowMs,
    limit,
    keyGenerator,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    passOnStoreError: true,
    ...(deps.redis ? { store: storeFor(deps, name) as Store } : {}),
    handler: (req: Request, _res: Response, next: NextFunction) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfterSeconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + deps.limits.windowMs) - Date.now()) / 1000));
      next(new HttpProblem('RATE_LIMITED', `At most ${limit} requests per ${deps.limits.windowMs / 1000} s on ${name}; retry after ${retryAfterSeconds} s`, {
        headers: { 'Retry-After': String(retryAfterSeconds) },
      }));
    },
    // one limiter serves both /redemptions and /redemptions/preview: one budget per cashier
    validate: { singleCount: false },
    logger: {
      error: (err: unknown, message?: string) => deps.logger.warn({ err, limiter: name }, message ?? 'rate limiter error'),
      warn: (err: unknown) => deps.logger.warn({ err, limiter: name }, 'rate limiter warning'),
    },
  });
}

/** Mounts the limiters ahead of their routes (call before the route table is mounted). */
export function mountRateLimits(router: Router, deps: RateLimitDeps): void {
  const byUser = userKey(deps.tokens, deps.clock);
  const redeem = limiter(deps, 'redemptions', deps.limits.redemptionsMax, byUser);
  router.post('/auth/login', limiter(deps, 'login', deps.limits.loginMax, loginKey));
  router.post('/pools/:id/claims', limiter(deps, 'claims', deps.limits.claimsMax, byUser));
  router.post('/pools/:id/lottery/entries', limiter(deps, 'lottery-entries', deps.limits.lotteryEntriesMax, byUser));
  router.post('/redemptions', redeem);
  router.post('/redemptions/preview', redeem);
}
