/**
 * The catalogue of every problem `code` the API answers with (RFC 9457 problem+json).
 * Codes are stable: clients translate them, tests assert them. Add, never rename.
 */
export const PROBLEMS = {
  // generic HTTP
  VALIDATION_FAILED: { status: 400, title: 'The request has invalid fields' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  NOT_READY: { status: 503, title: 'The service is not ready' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // identity
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  TOKEN_INVALID: { status: 401, title: 'The access token is invalid' },
  TOKEN_EXPIRED: { status: 401, title: 'The access token has expired' },
  FORBIDDEN: { status: 403, title: 'Your role does not allow this' },
  INVALID_CREDENTIALS: { status: 401, title: 'Login or password is wrong' },
  LOGIN_LOCKED: { status: 429, title: 'Too many failed logins; try again later' },
  REFRESH_TOKEN_INVALID: { status: 401, title: 'The refresh token is invalid or expired' },
  REFRESH_TOKEN_REUSED: { status: 401, title: 'The refresh token was already used; the session is revoked' },
  LOGIN_TAKEN: { status: 409, title: 'That login is already registered' },
  USCC_TAKEN: { status: 409, title: 'That Unified Social Credit Code is already registered' },
  RESIDENT_ID_TAKEN: { status: 409, title: 'That resident ID is already bound to another account' },
  // idempotency
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'This request needs an Idempotency-Key header' },
  IDEMPOTENCY_CONFLICT: { status: 409, title: 'The Idempotency-Key was used with a different request' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  /** dotted path of the offending field, e.g. `body.uscc` */
  field: string;
  message: string;
  type: string;
}

/** The JSON body of every error answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ProblemCode;
  instance?: string;
  errors?: FieldError[];
}

export const PROBLEM_TYPE_BASE = 'urn:hqt:problem:';

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}
