/** Reads PostgreSQL error details through any wrapping (drizzle wraps driver errors in `cause`). */
export interface PgErrorInfo {
  code: string;
  constraint?: string;
  message: string;
}

export function pgErrorOf(err: unknown): PgErrorInfo | null {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const candidate = e as { code?: unknown; constraint?: unknown; message?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        ...(typeof candidate.constraint === 'string' ? { constraint: candidate.constraint } : {}),
        message: String(candidate.message ?? ''),
      };
    }
    e = candidate.cause;
  }
  return null;
}

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_SERIALIZATION_FAILURE = '40001';
export const PG_DEADLOCK = '40P01';
