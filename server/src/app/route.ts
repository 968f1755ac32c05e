/**
 * Owns the route table: each route is declared once with its schemas, roles and answers.
 * The same declaration mounts the express handler and generates the OpenAPI document.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import type Joi from 'joi';
import type { Role } from '@hqt/shared';
import type { Actor } from '../capabilities/identity/tokens';
import { hasRole } from '../capabilities/identity/tokens';
import { HttpProblem } from './problem';
import { check } from './validate';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  actor: Actor | null;
  req: Request;
  res: Response;
}

export interface ResponseSpec {
  description: string;
  schema?: Joi.Schema;
  contentType?: string;
}

export interface RouteSpec<B = any, Q = any, P = any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- each route narrows its own types
  method: Method;
  /** express path under /api/v1, e.g. `/pools/:id` */
  path: string;
  summary: string;
  tag: string;
  /** 'public': no token; 'user': any signed-in user; a role list: one of these roles */
  auth: 'public' | 'user' | readonly Role[];
  body?: Joi.Schema;
  query?: Joi.Schema;
  params?: Joi.Schema;
  /** request headers documented and validated (e.g. Idempotency-Key) */
  headers?: Joi.ObjectSchema;
  /** 'json' (default for bodies) or 'multipart' (file uploads) */
  consumes?: 'json' | 'multipart';
  responses: Record<number, ResponseSpec>;
  /** Returns the JSON body of the success answer (status = first 2xx in `responses`), or
   *  `undefined` after writing the answer itself. */
  handler: (input: RouteInput<B, Q, P>) => Promise<unknown>;
}

export type Authenticator = (req: Request) => Actor;

function successStatus(spec: RouteSpec): number {
  const statuses = Object.keys(spec.responses).map(Number).filter((s) => s >= 200 && s < 300);
  return statuses.length > 0 ? Math.min(...statuses) : 200;
}

export function mountRoutes(router: Router, specs: RouteSpec[], authenticate: Authenticator): void {
  for (const spec of specs) {
    const status = successStatus(spec);
    router[spec.method](spec.path, async (req: Request, res: Response, _next: NextFunction) => {
      let actor: Actor | null = null;
      if (spec.auth !== 'public') {
        actor = authenticate(req);
        if (Array.isArray(spec.auth) && !hasRole(actor, spec.auth)) throw new HttpProblem('FORBIDDEN');
      }
      res.locals.actorId = actor?.userId;
      if (spec.headers) check('headers', spec.headers, pickHeaders(req, spec.headers));
      const input: RouteInput<unknown, unknown, unknown> = {
        body: spec.body ? check('body', spec.body, req.body ?? {}) : undefined,
        query: spec.query ? check('query', spec.query, { ...req.query }) : {},
        params: spec.params ? check('params', spec.params, { ...req.params }) : {},
        actor,
        req,
        res,
      };
      if (!spec.body && req.body && Object.keys(req.body as object).length > 0) {
        throw new HttpProblem('VALIDATION_FAILED', 'This endpoint takes no body', {
          errors: [{ field: 'body', message: 'body is not allowed', type: 'object.unknown' }],
        });
      }
      const result = await spec.handler(input);
      if (result === undefined) {
        if (!res.headersSent) res.status(status === 200 ? 204 : status).end();
        return;
      }
      res.status(status).json(result);
    });
  }
}

/** The header names a schema declares; describe() is slow, so once per schema. */
const headerNames = new WeakMap<Joi.ObjectSchema, string[]>();

function pickHeaders(req: Request, schema: Joi.ObjectSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let names = headerNames.get(schema);
  if (!names) {
    names = Object.keys((schema.describe() as { keys?: Record<string, unknown> }).keys ?? {});
    headerNames.set(schema, names);
  }
  for (const name of names) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
