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
  OVERLOADED: { status: 503, title: 'The server is busy; retry after the seconds Retry-After gives' },
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
  // pools
  POOL_NOT_EDITABLE: { status: 409, title: 'Only a draft or rejected pool can be edited' },
  POOL_STATE_CONFLICT: { status: 409, title: 'The pool is not in a state that allows this step' },
  VERSION_CONFLICT: { status: 409, title: 'The pool was changed by someone else; reload and retry' },
  FOUR_EYES_REQUIRED: { status: 403, title: 'You cannot approve an item you submitted yourself' },
  FUNDERS_INVALID: { status: 400, title: 'Funder shares must add up to 100%' },
  POOL_CONFIG_INVALID: { status: 400, title: 'The pool settings are inconsistent' },
  BUDGET_DECREASE_TOO_LARGE: { status: 409, title: 'A decrease cannot take the available budget below zero' },
  BUDGET_CHANGE_DECIDED: { status: 409, title: 'This budget change was already decided' },
  MERCHANT_NOT_ACTIVE: { status: 409, title: 'The merchant is not approved' },
  // issuance
  WRONG_DISTRIBUTION: { status: 409, title: 'This pool does not issue vouchers that way' },
  CLAIM_WINDOW_CLOSED: { status: 409, title: 'The claim window is not open' },
  POOL_NOT_OPEN: { status: 409, title: 'The pool is not open' },
  NOT_ELIGIBLE: { status: 403, title: 'You are not eligible for this pool' },
  POOL_EXHAUSTED: { status: 409, title: 'The pool is sold out' },
  LIMIT_REACHED: { status: 409, title: 'You already hold the most vouchers this pool allows' },
  DAILY_LIMIT_REACHED: { status: 409, title: 'You reached the daily limit for this pool' },
  ANNUAL_CAP_REACHED: { status: 409, title: 'This would exceed the annual cap for this kind of voucher' },
  TICKET_STUB_REQUIRED: { status: 400, title: 'This pool needs a ticket-stub code' },
  TICKET_STUB_INVALID: { status: 409, title: 'The ticket-stub code is unknown or already used' },
  ROUND_NOT_OPEN: { status: 409, title: 'No claim round of this pool is open now' },
  ROUND_EXHAUSTED: { status: 409, title: "This round's share of the pool is claimed; later rounds may have more" },
  LOTTERY_CLOSED: { status: 409, title: 'Lottery entries are closed' },
  LOTTERY_NOT_DRAWN: { status: 409, title: 'The lottery has not been drawn yet' },
  APPLICATION_DUPLICATE: { status: 409, title: 'An application for this contract already exists' },
  APPLICATION_DECIDED: { status: 409, title: 'This application was already decided' },
  PROVIDER_INVALID: { status: 400, title: 'The provider must be another, approved merchant' },
  ATTACHMENT_INVALID: { status: 400, title: 'Attachments must be PDF, JPG or PNG of at most 10 MB' },
  ELIGIBLE_LIST_NO_VALID_ROWS: { status: 422, title: 'No line of the list names a valid identifier for this pool; the current list is kept' },
  CSV_INVALID: { status: 400, title: 'The CSV file is not valid (UTF-8, the documented columns, within the size and row limits)' },
  // vouchers and tokens
  VOUCHER_NOT_ACTIVE: { status: 409, title: 'The voucher is not active' },
  VOUCHER_EXPIRED: { status: 409, title: 'The voucher has expired' },
  VOUCHER_NOT_YET_VALID: { status: 409, title: 'The voucher is not valid yet' },
  TOKEN_MALFORMED: { status: 400, title: 'The QR token is not a voucher token' },
  TOKEN_FORGED: { status: 422, title: 'The QR token signature is wrong' },
  TOKEN_STALE: { status: 422, title: 'The QR code has expired; ask the holder to refresh it' },
  TOKEN_VOUCHER_MISMATCH: { status: 422, title: 'The QR token belongs to another voucher' },
  // redemption
  NOT_ENROLLED: { status: 403, title: 'This merchant may not redeem vouchers of this pool' },
  CATEGORY_BANNED: { status: 403, title: 'This merchant category is excluded from this pool' },
  BELOW_MIN_SPEND: { status: 422, title: 'The order amount is below the minimum spend' },
  INSUFFICIENT_BALANCE: { status: 409, title: 'The voucher balance is not enough' },
  REVERSAL_WINDOW_CLOSED: { status: 409, title: 'The reversal window has passed' },
  REDEMPTION_STATE_CONFLICT: { status: 409, title: 'The redemption is not in a state that allows this step' },
  TOKEN_REPLAYED: { status: 409, title: 'This QR code was already used; ask the holder to show a fresh one' },
  NO_DISCOUNT: { status: 422, title: 'The order earns no discount on this voucher' },
  B2B_DETAILS_REQUIRED: { status: 400, title: 'A B2B redemption needs contractRef and invoiceNo' },
  // settlement and reports
  SETTLEMENT_STATE_CONFLICT: { status: 409, title: 'The settlement batch is not in a state that allows this step' },
  REPORT_RANGE_INVALID: { status: 400, title: 'The date range is invalid (from after to, or too long)' },
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
