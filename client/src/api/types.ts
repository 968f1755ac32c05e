/**
 * Wire shapes the client reads from /api/v1. They mirror the server contract in
 * shared/docs/DESIGN.md; when `@hqt/shared` exports these types, import them instead.
 */

export const ROLES = [
  'platform_admin',
  'issuer_manager',
  'issuer_approver',
  'issuer_auditor',
  'enterprise',
  'consumer',
  'merchant_cashier',
  'merchant_admin',
] as const;

export type Role = (typeof ROLES)[number];

export type OrgType = 'platform' | 'issuer' | 'enterprise' | 'merchant';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface TokenResponse extends Tokens {
  expiresInSeconds: number;
}

export interface Membership {
  orgId: string | null;
  orgType: OrgType | null;
  orgNameZh: string | null;
  orgNameEn: string | null;
  role: Role;
}

export interface Me {
  id: string;
  login: string;
  displayName: string;
  phoneMasked: string | null;
  realNameVerified: boolean;
  memberships: Membership[];
}

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
