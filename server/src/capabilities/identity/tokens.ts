/**
 * Owns access tokens: HS256 JWTs with a pinned algorithm, issuer and audience, and a key
 * id in the header so that two keys are accepted during a rotation. Keys are KeyObjects:
 * jsonwebtoken spends ~0.6 ms per call deriving one from a string secret.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '@hqt/shared';
import type { Config } from '../../config/config';
import { HttpProblem } from '../../app/problem';

export const JWT_ISSUER = 'hqt';
export const JWT_AUDIENCE = 'hqt-api';
const ALGORITHM = 'HS256';
const RECENT_TOKENS_MAX = 256;

/** One membership in a token: [orgId or null, role]. */
export type TokenMembership = [string | null, Role];

export interface AccessClaims {
  sub: string;
  mem: TokenMembership[];
}

export interface Actor {
  userId: string;
  memberships: { orgId: string | null; role: Role }[];
}

export class TokenService {
  private readonly signingKeyId: string;
  private readonly keys = new Map<string, KeyObject>();

  constructor(
    private readonly config: Pick<Config, 'jwtKeys' | 'accessTokenTtlSeconds'>,
  ) {
    this.signingKeyId = config.jwtKeys.current.id;
    this.keys.set(config.jwtKeys.current.id, createSecretKey(Buffer.from(config.jwtKeys.current.secret)));
    const prev = config.jwtKeys.previous;
    if (prev) this.keys.set(prev.id, createSecretKey(Buffer.from(prev.secret)));
  }

  sign(claims: AccessClaims, nowSeconds: number): string {
    const key = this.keys.get(this.signingKeyId) as KeyObject;
    return jwt.sign({ mem: claims.mem, iat: nowSeconds }, key, {
      algorithm: ALGORITHM,
      keyid: this.signingKeyId,
      subject: claims.sub,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.config.accessTokenTtlSeconds,
    });
  }

  /**
   * The actor of a valid access token. The common case (a well-formed HS256 token of ours,
   * in date) is checked here directly, a few microseconds; anything else goes to
   * jsonwebtoken, whose verdict and message stand.
   */
  verify(token: string, nowSeconds: number): Actor {
    const seen = this.recent.get(token);
    if (seen && nowSeconds < seen.exp) return seen.actor;
    return this.verifyFast(token, nowSeconds) ?? this.verifyStrict(token, nowSeconds);
  }

  /** The last few tokens verified (a request's token is verified by the rate limiter, then by the route). */
  private readonly recent = new Map<string, { actor: Actor; exp: number }>();

  private remember(token: string, actor: Actor, exp: number): Actor {
    if (this.recent.size >= RECENT_TOKENS_MAX) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(token, { actor, exp });
    return actor;
  }

  /** Null unless every check passes: then jsonwebtoken decides (and names the reason). */
  private verifyFast(token: string, nowSeconds: number): Actor | null {
    const [head, body, signature, extra] = token.split('.');
    if (!head || !body || !signature || extra !== undefined) return null;
    const header = parseSegment(head);
    if (!header || header.alg !== ALGORITHM || typeof header.kid !== 'string') return null;
    const key = this.keys.get(header.kid);
    if (!key) return null;
    const expected = Buffer.from(createHmac('sha256', key).update(`${head}.${body}`).digest('base64url'));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const p = parseSegment(body);
    if (!p || p.iss !== JWT_ISSUER || p.aud !== JWT_AUDIENCE || typeof p.sub !== 'string' || !Array.isArray(p.mem) || !p.mem.every(Array.isArray)) return null;
    if (typeof p.exp !== 'number' || nowSeconds >= p.exp || typeof p.iat !== 'number' || p.nbf !== undefined) return null;
    const actor = { userId: p.sub, memberships: (p.mem as TokenMembership[]).map(([orgId, role]) => ({ orgId, role })) };
    return this.remember(token, actor, p.exp);
  }

  private verifyStrict(token: string, nowSeconds: number): Actor {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded && typeof decoded === 'object' ? decoded.header.kid : undefined;
    const key = kid ? this.keys.get(kid) : undefined;
    if (!key) throw new HttpProblem('TOKEN_INVALID', 'Unknown or missing key id');
    try {
      const payload = jwt.verify(token, key, {
        algorithms: [ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        clockTimestamp: nowSeconds,
      }) as jwt.JwtPayload & { mem?: TokenMembership[] };
      if (typeof payload.sub !== 'string' || !Array.isArray(payload.mem)) {
        throw new HttpProblem('TOKEN_INVALID', 'The token lacks its claims');
      }
      return { userId: payload.sub, memberships: payload.mem.map(([orgId, role]) => ({ orgId, role })) };
    } catch (err) {
      if (err instanceof HttpProblem) throw err;
      if (err instanceof jwt.TokenExpiredError) throw new HttpProblem('TOKEN_EXPIRED');
      throw new HttpProblem('TOKEN_INVALID', (err as Error).message);
    }
  }
}

/** A JWT segment as a JSON object, or null. */
function parseSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The organisations in which the actor holds one of `roles`. */
export function orgsWithRole(actor: Actor, roles: readonly Role[]): string[] {
  return actor.memberships.filter((m) => m.orgId !== null && roles.includes(m.role)).map((m) => m.orgId as string);
}

export function hasRole(actor: Actor, roles: readonly Role[]): boolean {
  return actor.memberships.some((m) => roles.includes(m.role));
}
