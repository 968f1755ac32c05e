/**
 * Builds the express application: security headers, request ids and logs, JSON parsing with
 * limits, the /api/v1 route table, OpenAPI and its browser, the built client, and the one
 * error handler that turns every failure into application/problem+json.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { FieldError } from '@hqt/shared';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Config } from '../config/config';
import type { Clock } from '../platform/clock';
import { DatabaseBusy, sql, type Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import { migrationsApplied } from '../platform/migrate';
import { AuditService, auditRoutes } from '../capabilities/audit';
import { IdentityService, identityRoutes, TokenService } from '../capabilities/identity';
import { PoolsService, poolsRoutes } from '../capabilities/pools';
import { VouchersService, vouchersRoutes } from '../capabilities/vouchers';
import { APPLICATION_UPLOAD_PATH, ApplicationsService, applicationsRoutes } from '../capabilities/applications';
import { GRANT_UPLOAD_PATH, GrantsService, grantsRoutes } from '../capabilities/grants';
import { TICKET_STUB_UPLOAD_PATH, TicketStubsService, ticketStubsRoutes } from '../capabilities/ticket-stubs';
import { ELIGIBLE_LIST_UPLOAD_PATH, EligibleListService, eligibleListRoutes } from '../capabilities/eligible-list';
import { RedemptionsService, redemptionsRoutes } from '../capabilities/redemptions';
import { ledger, LedgerOpsService, ledgerRoutes } from '../capabilities/ledger';
import { LotteryService, lotteryRoutes } from '../capabilities/lottery';
import { SettlementService, settlementRoutes } from '../capabilities/settlement';
import { ReportsService, reportsRoutes } from '../capabilities/reports';
import { JobRunner } from '../platform/jobs';
import { registerJobs } from '../jobs';
import { jobsRoutes } from '../jobs/jobs.routes';
import { buildOpenApi } from './openapi';
import { HttpProblem, sendProblem } from './problem';
import { mountRoutes, type RouteSpec } from './route';
import { HOT_ROUTE_PATHS, hotPath } from './hot-path';
import { bindMetricsSources, httpMetrics, metricsRoute } from '../platform/metrics';
import { closeConnectionsWhenShuttingDown, type ShutdownHooks } from '../platform/shutdown';
import { mountRateLimits } from './rate-limit';
import { corsPolicy, refuseUnstorableText } from './security';
import { sharedRedis } from '../platform/redis';

export const API_VERSION = '0.1.0';
const JSON_BODY_LIMIT = '100kb';
/** Retry-After of a request that found no free database connection in time */
const BUSY_RETRY_AFTER_SECONDS = 1;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,64}$/;

export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  clock: Clock;
  /** read replica for report queries (REPORTS_DATABASE_URL); reports use `deps.reportsDb ?? deps.db` */
  reportsDb?: Db | undefined;
  /** flush callbacks run on graceful shutdown (e.g. a claim batcher's); absent in tests */
  shutdownHooks?: ShutdownHooks | undefined;
}

export interface AppState {
  shuttingDown: boolean;
}

export interface Services {
  audit: AuditService;
  tokens: TokenService;
  identity: IdentityService;
  pools: PoolsService;
  vouchers: VouchersService;
  applications: ApplicationsService;
  grants: GrantsService;
  ticketStubs: TicketStubsService;
  eligibleList: EligibleListService;
  redemptions: RedemptionsService;
  ledgerOps: LedgerOpsService;
  lottery: LotteryService;
  settlement: SettlementService;
  reports: ReportsService;
  jobs: JobRunner;
}

export function createServices(deps: AppDeps): Services {
  const audit = new AuditService(deps.db, deps.clock);
  const tokens = new TokenService(deps.config);
  const identity = new IdentityService(deps.db, deps.config, deps.clock, tokens, audit);
  const pools = new PoolsService(deps.db, deps.clock, audit);
  const vouchers = new VouchersService(deps.db, deps.clock, audit, pools, deps.config.qrSecret, deps.config.claimBatching);
  const batcher = vouchers.batcher;
  if (batcher) deps.shutdownHooks?.onFlush('claim-batcher', () => batcher.flushAll());
  const applications = new ApplicationsService(deps.db, deps.clock, audit, pools, vouchers, deps.config.dataDir);
  const grants = new GrantsService(deps.db, deps.clock, audit, pools, vouchers, deps.logger);
  const ticketStubs = new TicketStubsService(deps.db, deps.clock, audit, pools);
  const eligibleList = new EligibleListService(deps.db, deps.clock, audit, pools);
  const redemptions = new RedemptionsService(deps.db, deps.clock, audit, vouchers, deps.config.redemptionBatching);
  const redemptionBatcher = redemptions.batcher;
  if (redemptionBatcher) deps.shutdownHooks?.onFlush('redemption-batcher', () => redemptionBatcher.flushAll());
  const ledgerOps = new LedgerOpsService(deps.db, deps.clock);
  const lottery = new LotteryService(deps.db, deps.clock, audit, pools, vouchers, undefined, deps.config.lotteryEntryBatching);
  const entryBatcher = lottery.entryBatcher;
  if (entryBatcher) deps.shutdownHooks?.onFlush('lottery-entry-batcher', () => entryBatcher.flushAll());
  const settlement = new SettlementService(deps.db, deps.clock, audit);
  const reports = new ReportsService(deps.db, deps.reportsDb ?? deps.db, deps.clock, pools);
  const jobs = new JobRunner(deps.db, deps.clock, deps.logger, { scheduleOverride: deps.config.jobsScheduleOverride });
  const services = { audit, tokens, identity, pools, vouchers, redemptions, ledgerOps, lottery, applications, grants, ticketStubs, eligibleList, settlement, reports, jobs };
  registerJobs(jobs, services, deps);
  return services;
}

function healthRoutes(deps: AppDeps, state: AppState): RouteSpec[] {
  return [
    {
      method: 'get', path: '/health', tag: 'health', auth: 'public', summary: 'Liveness: the process answers',
      responses: { 200: { description: 'Alive' } },
      handler: async () => ({ status: 'ok' }),
    },
    {
      method: 'get', path: '/ready', tag: 'health', auth: 'public',
      summary: 'Readiness: database reachable, migrations applied, not shutting down',
      responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } },
      handler: async () => {
        if (state.shuttingDown) throw new HttpProblem('NOT_READY', 'Shutting down');
        try {
          await deps.db.query(sql`SELECT 1`);
          if (!(await migrationsApplied(deps.db))) throw new Error('migrations pending');
        } catch (err) {
          throw new HttpProblem('NOT_READY', (err as Error).message);
        }
        return { status: 'ready', database: deps.db.kind };
      },
    },
  ];
}

function bearerAuthenticator(tokens: TokenService, clock: Clock) {
  return (req: Request) => {
    const header = req.headers.authorization;
    if (!header) throw new HttpProblem('UNAUTHENTICATED');
    const match = /^Bearer ([A-Za-z0-9_.-]{10,4096})$/.exec(header);
    if (!match) throw new HttpProblem('TOKEN_INVALID', 'Expected "Authorization: Bearer <token>"');
    return tokens.verify(match[1] as string, Math.floor(clock.now().getTime() / 1000));
  };
}

/** Maps body-parser failures and everything unexpected to problems; never leaks a stack. */
function problemHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) return;
    if (err instanceof HttpProblem) return sendProblem(res, err, req.originalUrl);
    if (err instanceof DatabaseBusy) {
      return sendProblem(res, new HttpProblem('OVERLOADED', 'The database is saturated: no connection came free in time', {
        headers: { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) },
      }), req.originalUrl);
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') return sendProblem(res, new HttpProblem('MALFORMED_JSON', e.message), req.originalUrl);
    if (e.type === 'entity.too.large') return sendProblem(res, new HttpProblem('PAYLOAD_TOO_LARGE', `The limit is ${JSON_BODY_LIMIT}`));
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      return sendProblem(res, new HttpProblem('UNSUPPORTED_MEDIA_TYPE', e.message));
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendProblem(res, new HttpProblem('MALFORMED_JSON', e.message));
    }
    (req as Request & { log?: Logger }).log?.error({ err }, 'unhandled error');
    if (!(req as Request & { log?: Logger }).log) logger.error({ err }, 'unhandled error');
    sendProblem(res, new HttpProblem('INTERNAL_ERROR', 'The error was logged; quote the request id'), req.originalUrl);
  };
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const JSON_DEPTH_MAX = 32;

/** Walks a parsed body for prototype-pollution keys and absurd nesting. */
function hostileKeyErrors(value: unknown, pathSoFar: string, depth: number, out: FieldError[]): void {
  if (out.length >= 20 || value === null || typeof value !== 'object') return;
  if (depth > JSON_DEPTH_MAX) {
    out.push({ field: pathSoFar, message: `nesting deeper than ${JSON_DEPTH_MAX} levels`, type: 'object.depth' });
    return;
  }
  for (const key of Object.keys(value)) {
    const field = `${pathSoFar}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) out.push({ field, message: `${key} is not allowed`, type: 'object.forbiddenKey' });
    else hostileKeyErrors((value as Record<string, unknown>)[key], field, depth + 1, out);
  }
}

function refuseHostileKeys(req: Request, _res: Response, next: NextFunction): void {
  const errors: FieldError[] = [];
  hostileKeyErrors(req.body, 'body', 0, errors);
  if (errors.length > 0) return next(new HttpProblem('VALIDATION_FAILED', 'The body has forbidden keys', { errors }));
  next();
}

/** Mutating requests with a body must say it is JSON (multipart routes opt out). */
function requireJson(multipartPaths: RegExp[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || req.is('application/json')) return next();
    if (req.is('multipart/form-data') && multipartPaths.some((p) => p.test(req.path))) return next();
    next(new HttpProblem('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'));
  };
}

export function createApp(deps: AppDeps, services = createServices(deps), state: AppState = { shuttingDown: false }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: { 'img-src': ["'self'", 'data:', 'blob:'], 'media-src': ["'self'", 'blob:'] },
    },
  });
  // claims, lottery entries and redemptions: the same checks on a lean chain (app/hot-path.ts)
  const hotApi = express.Router();
  const hotCors = corsPolicy(deps.config.corsOrigins);
  app.use(hotPath({
    securityHeaders, before: [closeConnectionsWhenShuttingDown(state), httpMetrics(), ...(hotCors ? [hotCors] : [])],
    body: [requireJson([]), express.json({ limit: JSON_BODY_LIMIT, strict: true, type: 'application/json' }), refuseHostileKeys, refuseUnstorableText],
    router: express.Router().use('/api/v1', hotApi), onError: problemHandler(deps.logger), logger: deps.logger,
    requestIdPattern: REQUEST_ID_PATTERN, overloaded: () => (deps.db.stats?.().waiting ?? 0) > deps.config.dbWaitingMax,
  }));
  app.use(securityHeaders);
  app.use(closeConnectionsWhenShuttingDown(state));
  app.use(httpMetrics());
  bindMetricsSources({
    db: deps.db, reportsDb: deps.reportsDb, poolSums: ledger.poolSums, jobNames: () => services.jobs.list().map((j) => j.name),
  });
  app.get('/metrics', metricsRoute(deps.config.metricsToken));
  app.use(pinoHttp({
    logger: deps.logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customProps: (_req, res) => ({ actorId: (res as Response).locals?.actorId }),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }));

  const specs: RouteSpec[] = [
    ...healthRoutes(deps, state),
    ...identityRoutes(services.identity),
    ...auditRoutes(services.audit),
    ...poolsRoutes(services.pools),
    ...vouchersRoutes(services.vouchers),
    ...applicationsRoutes(services.applications),
    ...grantsRoutes(services.grants),
    ...ticketStubsRoutes(services.ticketStubs),
    ...eligibleListRoutes(services.eligibleList),
    ...redemptionsRoutes(services.redemptions),
    ...ledgerRoutes(services.ledgerOps),
    ...lotteryRoutes(services.lottery),
    ...settlementRoutes(services.settlement),
    ...reportsRoutes(services.reports),
    ...jobsRoutes(services.jobs),
  ];
  const openapi = buildOpenApi(specs, API_VERSION);

  const cors = corsPolicy(deps.config.corsOrigins);
  if (cors) app.use('/api', cors);

  const api = express.Router();
  api.use(requireJson([APPLICATION_UPLOAD_PATH, GRANT_UPLOAD_PATH, TICKET_STUB_UPLOAD_PATH, ELIGIBLE_LIST_UPLOAD_PATH]));
  api.use(express.json({ limit: JSON_BODY_LIMIT, strict: true, type: 'application/json' }));
  api.use(refuseHostileKeys);
  api.use(refuseUnstorableText);
  api.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  mountRateLimits(api, {
    limits: deps.config.rateLimits, tokens: services.tokens, clock: deps.clock, logger: deps.logger,
    redis: sharedRedis(deps.config, deps.logger),
  });
  mountRateLimits(hotApi, {
    limits: deps.config.rateLimits, tokens: services.tokens, clock: deps.clock, logger: deps.logger,
    redis: sharedRedis(deps.config, deps.logger),
  });
  mountRoutes(hotApi, specs.filter((r) => r.method === 'post' && (HOT_ROUTE_PATHS as readonly string[]).includes(r.path)),
    bearerAuthenticator(services.tokens, deps.clock));
  mountRoutes(api, specs, bearerAuthenticator(services.tokens, deps.clock));
  api.use((req, _res, next) => next(new HttpProblem('NOT_FOUND', `No route ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api/v1', api);

  app.use('/api/docs', helmet({ contentSecurityPolicy: false }), swaggerUi.serve, swaggerUi.setup(openapi));
  app.use('/api', (req, _res, next) => next(new HttpProblem('NOT_FOUND', `No route ${req.method} ${req.originalUrl}`)));

  const indexHtml = path.join(deps.config.clientDist, 'index.html');
  if (existsSync(indexHtml)) {
    app.use(express.static(deps.config.clientDist, { index: false, maxAge: '1h' }));
    app.get(/^\/(?!api\/).*/, (_req, res) => res.sendFile(indexHtml));
  }
  app.use((req, _res, next) => next(new HttpProblem('NOT_FOUND', `No route ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.logger));
  return { app, services, state, openapi, specs };
}
