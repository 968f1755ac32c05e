/**
 * Wire shapes the client reads from /api/v1. The identity shapes and the role list are
 * `@hqt/shared`'s own (the server answers with them); the problem body stays the client's,
 * because it also carries codes the client makes itself (a network failure has no server code).
 */
import { ROLES, type Role, type Tokens as IssuedTokens } from '@hqt/shared';

export { ROLES };
export type { Me, Membership, OrgType, Role } from '@hqt/shared';

/** What the client keeps of a login: the pair, without its lifetime. */
export type Tokens = Pick<IssuedTokens, 'accessToken' | 'refreshToken'>;

/** What `POST /auth/login` and `/auth/refresh` answer. */
export type TokenResponse = IssuedTokens;

export interface ProblemFieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem+json body, as every error answer carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  errors?: ProblemFieldError[];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
