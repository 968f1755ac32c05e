/**
 * Owns the browser-facing security policy of the API: CORS is closed unless CORS_ORIGINS
 * names the origins allowed (the console is served from the same origin and needs none).
 * The API authenticates with bearer tokens only and sets no cookies, so there is nothing
 * for a cross-site request to ride on; test/security/headers.test.ts holds it to that.
 * It also refuses text that PostgreSQL cannot store, before any query sees it.
 */
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { FieldError } from '@hqt/shared';
import { HttpProblem } from './problem';

const CORS_MAX_AGE_SECONDS = 600;

/** null when no origin is allowed: then no CORS header is ever sent. */
export function corsPolicy(allowedOrigins: readonly string[]): RequestHandler | null {
  if (allowedOrigins.length === 0) return null;
  const allowed = new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'RateLimit', 'RateLimit-Policy', 'Content-Disposition'],
    credentials: false,
    maxAge: CORS_MAX_AGE_SECONDS,
  });
}

/** U+0000 and unpaired surrogates: PostgreSQL cannot store them in text, so they never reach a query. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FIELD_ERRORS_MAX = 20;

function unstorableFields(value: unknown, at: string, depth: number, out: FieldError[]): void {
  if (out.length >= FIELD_ERRORS_MAX || depth > 64) return;
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) out.push({ field: at, message: `${at} contains a NUL character or an unpaired surrogate`, type: 'string.unstorable' });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (UNSTORABLE.test(key)) out.push({ field: at, message: `${at} has a key with a NUL character or an unpaired surrogate`, type: 'object.unstorableKey' });
    unstorableFields(child, `${at}.${key}`, depth + 1, out);
  }
}

/**
 * Refuses text PostgreSQL cannot store (found by test/security/fuzz: a lone surrogate in a
 * login reached the database and came back as a 500). Runs after the JSON parser.
 */
export function refuseUnstorableText(req: Request, _res: Response, next: NextFunction): void {
  const errors: FieldError[] = [];
  unstorableFields(req.body, 'body', 0, errors);
  unstorableFields(req.query, 'query', 0, errors);
  if (errors.length > 0) return next(new HttpProblem('VALIDATION_FAILED', 'The request has text that cannot be stored', { errors }));
  next();
}
