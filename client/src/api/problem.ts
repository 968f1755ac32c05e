/**
 * ApiError carries a problem+json body (RFC 9457). Failures that never reached the
 * API (offline, time-out, a proxy's HTML page) are turned into problems too, so the
 * UI has exactly one error shape to translate.
 */
import type { Problem, ProblemFieldError } from './types';

/** Codes the client invents for failures that have no server answer. */
export const CLIENT_PROBLEM_CODES = {
  network: 'NETWORK_ERROR',
  timeout: 'TIMEOUT',
  unexpected: 'UNEXPECTED_RESPONSE',
} as const;

export class ApiError extends Error {
  readonly problem: Problem;
  /** From the Retry-After header (429, 503), in whole seconds; null when absent. */
  readonly retryAfterSeconds: number | null;

  constructor(problem: Problem, retryAfterSeconds: number | null = null) {
    super(`${problem.code}: ${problem.title}`);
    this.name = 'ApiError';
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get code(): string {
    return this.problem.code;
  }

  get status(): number {
    return this.problem.status;
  }
}

export function clientProblem(code: string, title: string, status = 0): Problem {
  return { type: 'about:blank', title, status, code };
}

const FIELD_ERRORS_MAX = 50;

function toFieldErrors(value: unknown): ProblemFieldError[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const errors: ProblemFieldError[] = [];
  for (const item of value.slice(0, FIELD_ERRORS_MAX)) {
    if (typeof item === 'object' && item !== null) {
      const { field, message } = item as Record<string, unknown>;
      if (typeof field === 'string' && typeof message === 'string') errors.push({ field, message });
    }
  }
  return errors;
}

/** Reads an unknown JSON body as a problem; anything malformed becomes UNEXPECTED_RESPONSE. */
export function toProblem(body: unknown, status: number, statusText: string): Problem {
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    if (typeof record.code === 'string' && typeof record.title === 'string') {
      const problem: Problem = {
        type: typeof record.type === 'string' ? record.type : 'about:blank',
        title: record.title,
        status: typeof record.status === 'number' ? record.status : status,
        code: record.code,
      };
      if (typeof record.detail === 'string') problem.detail = record.detail;
      const errors = toFieldErrors(record.errors);
      if (errors !== undefined && errors.length > 0) problem.errors = errors;
      return problem;
    }
  }
  return clientProblem(CLIENT_PROBLEM_CODES.unexpected, statusText || `HTTP ${status}`, status);
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, nowMs: number = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return null;
  return Math.max(0, Math.ceil((dateMs - nowMs) / 1000));
}
