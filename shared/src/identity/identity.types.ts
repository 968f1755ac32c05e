import type { OrgType, Role } from '../reference';

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
  residentIdMasked: string | null;
  memberships: Membership[];
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
}

export interface LoginRequest {
  login: string;
  password: string;
}
