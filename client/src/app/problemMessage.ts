/**
 * Turns any error into a sentence a person can read: a translation of the problem
 * `code` when we have one, otherwise the server's own title, never raw JSON.
 */
import type { TFunction } from 'i18next';
import { ApiError } from '../api/problem';
import type { ProblemFieldError } from '../api/types';

export interface ReadableProblem {
  message: string;
  fieldErrors: ProblemFieldError[];
}

export function readableProblem(error: unknown, t: TFunction, exists: (key: string) => boolean): ReadableProblem {
  if (!(error instanceof ApiError)) return { message: t('errors.unknown'), fieldErrors: [] };
  const { problem } = error;
  const key = `problems.${problem.code}`;
  let message = exists(key)
    ? t(key as 'problems.INTERNAL_ERROR')
    : t('errors.fallback', { title: problem.title || t('errors.unknown') });
  if (error.retryAfterSeconds !== null && error.retryAfterSeconds > 0) {
    message = `${message} ${t('errors.retryAfter', { seconds: error.retryAfterSeconds })}`;
  }
  return { message, fieldErrors: problem.errors ?? [] };
}
