/**
 * Owns the lean chain of the hot routes: claims, lottery entries, redemptions and their
 * previews, the requests a storm sends by the thousand per second (docs/BENCHMARKS.md). They
 * get every check the other routes get, in the same order, only cheaper:
 * - the security headers of the app's helmet instance, captured once at start (they do not
 *   depend on the request) and set from a list;
 * - one access-log line per request, in pino-http's shape, without its per-request child
 *   loggers;
 * - a router of their own, so a request does not walk the whole route table;
 * - the same middleware functions for everything else (shutdown, metrics, CORS, JSON limits,
 *   hostile keys, rate limits), the same route declarations (authentication, roles, Joi) and
 *   the same problem handler;
 * - a bound: while more queries wait for a database connection than DB_WAITING_MAX, they
 *   answer 503 OVERLOADED with Retry-After at once instead of queueing without limit (claims
 *   have their own bound per pool in the claim batcher).
 * Any other request passes through untouched.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { Logger } from '../platform/logger';
import { HttpProblem } from './problem';

/** POST paths under /api/v1 that take the lean chain (their routes are mounted on `router`). */
const HOT = /^\/api\/v1\/(?:pools\/[^/?#]+\/(?:claims|lottery\/entries)|redemptions(?:\/preview)?)(?:[?#].*)?$/;

export const HOT_ROUTE_PATHS = ['/pools/:id/claims', '/pools/:id/lottery/entries', '/redemptions', '/redemptions/preview'] as const;

export interface HotPathParts {
  /** the app's helmet middleware: its headers are captured once */
  securityHeaders: RequestHandler;
  /** the app-wide middleware the hot routes keep, in the app's order (shutdown, metrics, CORS) */
  before: RequestHandler[];
  /** body handling, in the app's order (media type, JSON parser with its limit, hostile keys) */
  body: RequestHandler[];
  /** rate limits and the hot routes, mounted at /api/v1 */
  router: Router;
  onError: ErrorRequestHandler;
  logger: Logger;
  requestIdPattern: RegExp;
  /** true while the database cannot keep up (its connection queue is past its bound): answer 503 at once */
  overloaded(): boolean;
}

const RETRY_AFTER_SECONDS = 1;

/** The headers a helmet instance sets, read by running it once against a stub response. */
export function capturedHeaders(helmetMiddleware: RequestHandler): [string, string][] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let done = false;
  helmetMiddleware({ headers: {}, method: 'GET', url: '/' } as Request, res as unknown as Response, () => { done = true; });
  if (!done) throw new Error('assertion: the security-header middleware did not finish synchronously');
  return [...headers.entries()];
}

function runChain(handlers: RequestHandler[], req: Request, res: Response, done: (err?: unknown) => void): void {
  let i = 0;
  const next = (err?: unknown): void => {
    if (err !== undefined && err !== null && err !== 'route') return done(err);
    const handler = handlers[i++];
    if (!handler) return done();
    try {
      handler(req, res, next);
    } catch (e) {
      done(e);
    }
  };
  next();
}

function accessLog(appLogger: Logger, pattern: RegExp) {
  // The line below has a fixed shape with no secret in it (ids, method, path, status, time), so
  // it skips the app logger's wildcard redaction, a third of a line's cost.
  const logger = appLogger.child({}, { redact: { paths: [] } });
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && pattern.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    (req as Request & { id: string }).id = id;
    (req as Request & { log: Logger }).log = appLogger;
    const t0 = Date.now();
    let logged = false;
    const log = (): void => {
      if (logged) return;
      logged = true;
      const line = {
        req: { id, method: req.method, url: req.originalUrl }, res: { statusCode: res.statusCode },
        responseTime: Date.now() - t0, actorId: res.locals.actorId as string | undefined,
      };
      if (res.statusCode >= 500) logger.error(line, 'request errored');
      else logger.info(line, 'request completed');
    };
    res.once('finish', log);
    res.once('close', log);
    next();
  };
}

/** The middleware to mount first: hot requests run the lean chain, every other request goes on. */
export function hotPath(parts: HotPathParts): RequestHandler {
  const headers = capturedHeaders(parts.securityHeaders);
  const setHeaders: RequestHandler = (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
  const shed: RequestHandler = (_req, _res, next) => {
    if (!parts.overloaded()) return next();
    next(new HttpProblem('OVERLOADED', 'Too many requests are waiting for the database', { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } }));
  };
  const chain = [setHeaders, ...parts.before, accessLog(parts.logger, parts.requestIdPattern), shed, ...parts.body, parts.router];
  return (req, res, next) => {
    if (req.method !== 'POST' || !HOT.test(req.url)) return next();
    runChain(chain, req, res, (err) => {
      if (err !== undefined) return parts.onError(err, req, res, next);
      if (!res.headersSent) parts.onError(new HttpProblem('NOT_FOUND', `No route ${req.method} ${req.path}`), req, res, next);
    });
  };
}
