/**
 * Owns who is who: registration of enterprises, merchants and consumers; login with
 * throttling; rotating refresh tokens with reuse detection; the actor's memberships.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { maskPhone, maskResidentId, type Me, type Role, type Tokens } from '@hqt/shared';
import type { Config } from '../../config/config';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { PG_UNIQUE_VIOLATION, pgErrorOf } from '../../platform/pg-errors';
import { HttpProblem } from '../../app/problem';
import type { AuditService } from '../audit';
import * as repo from './identity.repository';
import { TokenService, type Actor, type TokenMembership } from './tokens';

export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

export interface OrgRegistration {
  uscc: string;
  orgNameZh: string;
  orgNameEn?: string;
  district: string;
  login: string;
  password: string;
  displayName: string;
  phone?: string;
}

export interface EnterpriseRegistration extends OrgRegistration {
  foundedOn?: Date;
  headcount?: number;
  tags?: string[];
  industryCodes?: string[];
}

export interface MerchantRegistration extends OrgRegistration {
  categories: string[];
}

export interface ConsumerRegistration {
  phone: string;
  password: string;
  displayName?: string;
  residentId?: string;
  residenceDistrict?: string;
}

export interface OrgProfile {
  id: string;
  type: string;
  nameZh: string;
  nameEn: string | null;
  uscc: string | null;
  district: string | null;
  status: string;
  foundedOn: string | null;
  headcount: number | null;
  tags: string[];
  industryCodes: string[];
  categories: string[];
}

export interface Registered {
  userId: string;
  orgId: string | null;
  orgStatus: string | null;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function uniqueProblem(err: unknown): HttpProblem | null {
  const pg = pgErrorOf(err);
  if (pg?.code !== PG_UNIQUE_VIOLATION) return null;
  if (pg.constraint?.includes('uscc')) return new HttpProblem('USCC_TAKEN');
  if (pg.constraint?.includes('resident_id')) return new HttpProblem('RESIDENT_ID_TAKEN');
  return new HttpProblem('LOGIN_TAKEN');
}

export class IdentityService {
  /** compared against when the login does not exist, so both paths cost one bcrypt */
  private readonly dummyHash: string;

  constructor(
    private readonly db: Db,
    private readonly config: Pick<Config, 'bcryptCost' | 'idHashSecret' | 'refreshTokenTtlDays' | 'accessTokenTtlSeconds'>,
    private readonly clock: Clock,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
  ) {
    this.dummyHash = bcrypt.hashSync(randomBytes(16).toString('hex'), config.bcryptCost);
  }

  hashPassword(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptCost);
  }

  residentIdHash(residentId: string): string {
    return createHmac('sha256', this.config.idHashSecret).update(residentId).digest('hex');
  }

  registerEnterprise(input: EnterpriseRegistration): Promise<Registered> {
    return this.registerOrg('enterprise', 'enterprise', 'active', input, {
      foundedOn: input.foundedOn ? input.foundedOn.toISOString().slice(0, 10) : null,
      headcount: input.headcount ?? null,
      tags: input.tags ?? [],
      industryCodes: input.industryCodes ?? [],
    });
  }

  /** Merchants start `pending`: the platform admin approves them before they may redeem. */
  registerMerchant(input: MerchantRegistration): Promise<Registered> {
    return this.registerOrg('merchant', 'merchant_admin', 'pending', input, { categories: input.categories });
  }

  private async registerOrg(
    type: 'enterprise' | 'merchant', role: Role, status: 'pending' | 'active', input: OrgRegistration,
    extra: Partial<repo.NewOrg>,
  ): Promise<Registered> {
    const passwordHash = await this.hashPassword(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        if (await repo.orgExistsByUscc(tx, input.uscc)) throw new HttpProblem('USCC_TAKEN');
        if (await repo.userExistsByLogin(tx, input.login)) throw new HttpProblem('LOGIN_TAKEN');
        const orgId = await repo.insertOrg(tx, {
          type, nameZh: input.orgNameZh, nameEn: input.orgNameEn ?? null, uscc: input.uscc,
          district: input.district, status, ...extra,
        });
        const userId = await repo.insertUser(tx, {
          login: input.login, passwordHash, displayName: input.displayName, phone: input.phone ?? null,
        });
        await repo.insertMembership(tx, userId, orgId, role);
        await this.audit.record(tx, {
          actorUserId: userId, actorOrgId: orgId, orgId, action: `${type}.registered`, targetType: 'organisation',
          targetId: orgId, summary: { uscc: input.uscc, nameZh: input.orgNameZh, district: input.district, status },
        });
        return { userId, orgId, orgStatus: status };
      });
    } catch (err) {
      throw uniqueProblem(err) ?? err;
    }
  }

  async registerConsumer(input: ConsumerRegistration): Promise<Registered> {
    const passwordHash = await this.hashPassword(input.password);
    const residentIdHash = input.residentId ? this.residentIdHash(input.residentId) : null;
    try {
      return await this.db.transaction(async (tx) => {
        if (await repo.userExistsByLogin(tx, input.phone)) throw new HttpProblem('LOGIN_TAKEN');
        const userId = await repo.insertUser(tx, {
          login: input.phone, passwordHash, displayName: input.displayName ?? maskPhone(input.phone), phone: input.phone,
          residentIdMasked: input.residentId ? maskResidentId(input.residentId) : null,
          residentIdHash, residenceDistrict: input.residenceDistrict ?? null,
        });
        await repo.insertMembership(tx, userId, null, 'consumer');
        await this.audit.record(tx, {
          actorUserId: userId, orgId: null, action: 'consumer.registered', targetType: 'user', targetId: userId,
          summary: { phone: maskPhone(input.phone), realName: residentIdHash !== null },
        });
        return { userId, orgId: null, orgStatus: null };
      });
    } catch (err) {
      throw uniqueProblem(err) ?? err;
    }
  }

  async login(loginName: string, password: string): Promise<Tokens> {
    const now = this.clock.now();
    const locked = await repo.lockedUntil(this.db, loginName, now);
    if (locked) throw this.lockedProblem(locked, now);
    const user = await repo.findUserForLogin(this.db, loginName);
    const ok = await bcrypt.compare(password, user?.password_hash ?? this.dummyHash);
    if (!user || !ok || user.status !== 'active') {
      await this.recordFailedLogin(loginName, user?.id ?? null, now);
      throw new HttpProblem('INVALID_CREDENTIALS');
    }
    return this.db.transaction(async (tx) => {
      await repo.clearFailures(tx, loginName);
      return this.issueTokens(tx, user.id, randomUUID(), now);
    });
  }

  private lockedProblem(until: Date, now: Date): HttpProblem {
    const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
    return new HttpProblem('LOGIN_LOCKED', `Try again in ${seconds} seconds`, { headers: { 'Retry-After': String(seconds) } });
  }

  /** Counts the failure and audits it; the failure that reaches the limit also audits the lockout. */
  private recordFailedLogin(loginName: string, userId: string | null, now: Date): Promise<void> {
    return this.db.transaction(async (tx) => {
      const r = await repo.recordFailure(tx, loginName, now, LOGIN_WINDOW_SECONDS, LOGIN_MAX_FAILURES);
      const shownLogin = /^1\d{10}$/.test(loginName) ? maskPhone(loginName) : loginName;
      await this.audit.record(tx, {
        actorUserId: null, orgId: null, action: 'auth.login_failed', targetType: 'user', targetId: userId,
        summary: { login: shownLogin, failures: r.failures },
      });
      if (r.locked_until && r.failures === LOGIN_MAX_FAILURES) {
        await this.audit.record(tx, {
          actorUserId: null, orgId: null, action: 'auth.locked_out', targetType: 'user', targetId: userId,
          summary: { login: shownLogin, until: new Date(r.locked_until).toISOString() },
        });
      }
    });
  }

  private async issueTokens(tx: Queryable, userId: string, familyId: string, now: Date): Promise<Tokens> {
    const memberships = await repo.membershipsOf(tx, userId);
    const mem: TokenMembership[] = memberships.map((m) => [m.org_id, m.role]);
    const refreshToken = randomBytes(32).toString('base64url');
    await repo.insertRefreshToken(tx, {
      familyId, userId, tokenHash: sha256(refreshToken), createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlDays * 86_400_000),
    });
    const accessToken = this.tokens.sign({ sub: userId, mem }, Math.floor(now.getTime() / 1000));
    return { accessToken, refreshToken, expiresInSeconds: this.config.accessTokenTtlSeconds };
  }

  /** Rotates a refresh token. A token presented after its rotation revokes its whole family. */
  async refresh(refreshToken: string): Promise<Tokens> {
    const now = this.clock.now();
    const tokenHash = sha256(refreshToken);
    const outcome = await this.db.transaction(async (tx) => {
      const rotated = await repo.rotateRefreshToken(tx, tokenHash, now);
      if (rotated) {
        const user = await repo.findUser(tx, rotated.user_id);
        if (user?.status !== 'active') return { kind: 'invalid' as const };
        return { kind: 'ok' as const, tokens: await this.issueTokens(tx, rotated.user_id, rotated.family_id, now) };
      }
      const known = await repo.findRefreshToken(tx, tokenHash);
      if (!known) return { kind: 'invalid' as const };
      await repo.revokeFamily(tx, known.family_id, now);
      await this.audit.record(tx, {
        actorUserId: known.user_id, orgId: null, action: 'auth.refresh_reused', targetType: 'session',
        targetId: known.family_id, summary: {},
      });
      return { kind: 'reused' as const };
    });
    if (outcome.kind === 'ok') return outcome.tokens;
    throw new HttpProblem(outcome.kind === 'reused' ? 'REFRESH_TOKEN_REUSED' : 'REFRESH_TOKEN_INVALID');
  }

  /** Ends the session the refresh token belongs to. Idempotent: an unknown token is a no-op. */
  async logout(refreshToken: string): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const known = await repo.findRefreshToken(tx, sha256(refreshToken));
      if (known) await repo.revokeFamily(tx, known.family_id, now);
    });
  }

  async me(actor: Actor): Promise<Me> {
    const user = await repo.findUser(this.db, actor.userId);
    if (!user) throw new HttpProblem('UNAUTHENTICATED', 'The user no longer exists');
    const memberships = await repo.membershipsOf(this.db, actor.userId);
    return {
      id: user.id,
      login: user.login,
      displayName: user.display_name,
      phoneMasked: user.phone ? maskPhone(user.phone) : null,
      realNameVerified: user.resident_id_masked !== null,
      residentIdMasked: user.resident_id_masked,
      memberships: memberships.map((m) => ({
        orgId: m.org_id, orgType: m.org_type, orgNameZh: m.name_zh, orgNameEn: m.name_en, role: m.role,
      })),
    };
  }

  /** An organisation's profile: visible to its own members and the platform admin, else 404. */
  async getOrg(actor: Actor, orgId: string): Promise<OrgProfile> {
    const visible = actor.memberships.some((m) => m.role === 'platform_admin' || m.orgId === orgId);
    const org = visible ? await repo.findOrg(this.db, orgId) : null;
    if (!org) throw new HttpProblem('NOT_FOUND', 'No such organisation');
    return {
      id: org.id, type: org.type, nameZh: org.name_zh, nameEn: org.name_en, uscc: org.uscc, district: org.district,
      status: org.status, foundedOn: org.founded_on, headcount: org.headcount, tags: org.tags,
      industryCodes: org.industry_codes, categories: org.categories,
    };
  }

  /**
   * Adds a staff member to an organisation. A merchant admin adds cashiers and admins to
   * its own merchant; the platform admin adds anyone to any organisation. Another tenant's
   * organisation answers 404.
   */
  async addMember(actor: Actor, orgId: string, input: { login: string; password: string; displayName: string; role: Role }): Promise<Registered> {
    const isPlatform = actor.memberships.some((m) => m.role === 'platform_admin');
    const isOwnMerchantAdmin = actor.memberships.some((m) => m.role === 'merchant_admin' && m.orgId === orgId);
    if (!isPlatform && !isOwnMerchantAdmin) throw new HttpProblem('NOT_FOUND', 'No such organisation');
    if (!isPlatform && !['merchant_cashier', 'merchant_admin'].includes(input.role)) throw new HttpProblem('FORBIDDEN');
    const passwordHash = await this.hashPassword(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        const org = await repo.orgOfType(tx, orgId);
        if (!org) throw new HttpProblem('NOT_FOUND', 'No such organisation');
        if (await repo.userExistsByLogin(tx, input.login)) throw new HttpProblem('LOGIN_TAKEN');
        const userId = await repo.insertUser(tx, { login: input.login, passwordHash, displayName: input.displayName, phone: null });
        await repo.insertMembership(tx, userId, orgId, input.role);
        await this.audit.record(tx, {
          actorUserId: actor.userId, actorOrgId: isPlatform ? null : orgId, orgId, action: 'membership.granted',
          targetType: 'user', targetId: userId, summary: { role: input.role, login: input.login },
        });
        return { userId, orgId, orgStatus: null };
      });
    } catch (err) {
      const pg = pgErrorOf(err);
      if (pg?.code === '23514') throw new HttpProblem('VALIDATION_FAILED', 'That role does not fit this organisation', {
        errors: [{ field: 'body.role', message: 'role does not fit the organisation type', type: 'any.invalid' }],
      });
      throw uniqueProblem(err) ?? err;
    }
  }
}
