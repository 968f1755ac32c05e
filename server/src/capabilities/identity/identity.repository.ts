/** SQL of identity: organisations, users, memberships, refresh tokens, login throttle. */
import type { OrgType, Role } from '@hqt/shared';
import { sql, type Queryable } from '../../platform/db';

export interface NewOrg {
  type: OrgType;
  nameZh: string;
  nameEn: string | null;
  uscc: string | null;
  district: string | null;
  status: 'pending' | 'active';
  foundedOn?: string | null;
  headcount?: number | null;
  tags?: string[];
  industryCodes?: string[];
  categories?: string[];
}

function textArray(values: string[] | undefined): ReturnType<typeof sql> {
  const list = values ?? [];
  return list.length === 0 ? sql`'{}'::text[]` : sql`ARRAY[${sql.join(list.map((v) => sql`${v}`), sql`, `)}]::text[]`;
}

export async function insertOrg(tx: Queryable, org: NewOrg): Promise<string> {
  const rows = await tx.query<{ id: string }>(sql`
    INSERT INTO organisations (type, name_zh, name_en, uscc, district, status, founded_on, headcount, tags, industry_codes, categories)
    VALUES (${org.type}, ${org.nameZh}, ${org.nameEn}, ${org.uscc}, ${org.district}, ${org.status},
            ${org.foundedOn ?? null}::date, ${org.headcount ?? null}::int, ${textArray(org.tags)},
            ${textArray(org.industryCodes)}, ${textArray(org.categories)})
    RETURNING id`);
  return (rows[0] as { id: string }).id;
}

export interface NewUser {
  login: string;
  passwordHash: string;
  displayName: string;
  phone: string | null;
  residentIdMasked?: string | null;
  residentIdHash?: string | null;
  residenceDistrict?: string | null;
}

export async function insertUser(tx: Queryable, u: NewUser): Promise<string> {
  const rows = await tx.query<{ id: string }>(sql`
    INSERT INTO users (login, password_hash, display_name, phone, resident_id_masked, resident_id_hash, residence_district)
    VALUES (${u.login}, ${u.passwordHash}, ${u.displayName}, ${u.phone}, ${u.residentIdMasked ?? null},
            ${u.residentIdHash ?? null}, ${u.residenceDistrict ?? null})
    RETURNING id`);
  return (rows[0] as { id: string }).id;
}

export async function insertMembership(tx: Queryable, userId: string, orgId: string | null, role: Role): Promise<void> {
  await tx.query(sql`INSERT INTO memberships (user_id, org_id, role) VALUES (${userId}, ${orgId}, ${role})`);
}

export async function orgExistsByUscc(q: Queryable, uscc: string): Promise<boolean> {
  const rows = await q.query(sql`SELECT 1 FROM organisations WHERE uscc = ${uscc}`);
  return rows.length > 0;
}

export async function userExistsByLogin(q: Queryable, login: string): Promise<boolean> {
  const rows = await q.query(sql`SELECT 1 FROM users WHERE login = ${login} OR phone = ${login}`);
  return rows.length > 0;
}

export interface UserAuthRow {
  id: string;
  password_hash: string;
  status: string;
}

export async function findUserForLogin(q: Queryable, login: string): Promise<UserAuthRow | null> {
  const rows = await q.query<UserAuthRow>(sql`SELECT id, password_hash, status FROM users WHERE login = ${login}`);
  return rows[0] ?? null;
}

export interface MembershipRow {
  org_id: string | null;
  org_type: OrgType | null;
  name_zh: string | null;
  name_en: string | null;
  role: Role;
}

export async function membershipsOf(q: Queryable, userId: string): Promise<MembershipRow[]> {
  return q.query<MembershipRow>(sql`
    SELECT m.org_id, o.type AS org_type, o.name_zh, o.name_en, m.role
    FROM memberships m LEFT JOIN organisations o ON o.id = m.org_id
    WHERE m.user_id = ${userId} ORDER BY m.id`);
}

export interface UserRow {
  id: string;
  login: string;
  display_name: string;
  phone: string | null;
  resident_id_masked: string | null;
  status: string;
}

export async function findUser(q: Queryable, userId: string): Promise<UserRow | null> {
  const rows = await q.query<UserRow>(sql`
    SELECT id, login, display_name, phone, resident_id_masked, status FROM users WHERE id = ${userId}`);
  return rows[0] ?? null;
}

export async function orgOfType(q: Queryable, orgId: string): Promise<{ id: string; type: OrgType } | null> {
  const rows = await q.query<{ id: string; type: OrgType }>(sql`SELECT id, type FROM organisations WHERE id = ${orgId}`);
  return rows[0] ?? null;
}

// ---- refresh tokens ----

export async function insertRefreshToken(
  tx: Queryable,
  t: { familyId: string; userId: string; tokenHash: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await tx.query(sql`
    INSERT INTO refresh_tokens (family_id, user_id, token_hash, created_at, expires_at)
    VALUES (${t.familyId}, ${t.userId}, ${t.tokenHash}, ${t.createdAt.toISOString()}, ${t.expiresAt.toISOString()})`);
}

/** Marks a live token rotated in one conditional statement; no row means it was not live. */
export async function rotateRefreshToken(tx: Queryable, tokenHash: string, now: Date): Promise<{ family_id: string; user_id: string } | null> {
  const rows = await tx.query<{ family_id: string; user_id: string }>(sql`
    UPDATE refresh_tokens SET rotated_at = ${now.toISOString()}
    WHERE token_hash = ${tokenHash} AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ${now.toISOString()}
    RETURNING family_id, user_id`);
  return rows[0] ?? null;
}

export async function findRefreshToken(q: Queryable, tokenHash: string): Promise<{ family_id: string; user_id: string } | null> {
  const rows = await q.query<{ family_id: string; user_id: string }>(sql`
    SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ${tokenHash}`);
  return rows[0] ?? null;
}

export async function revokeFamily(tx: Queryable, familyId: string, now: Date): Promise<void> {
  await tx.query(sql`UPDATE refresh_tokens SET revoked_at = ${now.toISOString()}
    WHERE family_id = ${familyId} AND revoked_at IS NULL`);
}

// ---- login throttle ----

export async function lockedUntil(q: Queryable, loginKey: string, now: Date): Promise<Date | null> {
  const rows = await q.query<{ locked_until: string }>(sql`
    SELECT locked_until FROM login_throttle WHERE login_key = ${loginKey} AND locked_until > ${now.toISOString()}`);
  return rows[0] ? new Date(rows[0].locked_until) : null;
}

/**
 * Counts one failure in one statement. The window restarts when the last one began more
 * than `windowSeconds` ago; reaching `maxFailures` sets the lock.
 */
export async function recordFailure(
  tx: Queryable, loginKey: string, now: Date, windowSeconds: number, maxFailures: number,
): Promise<{ failures: number; locked_until: string | null }> {
  const at = now.toISOString();
  const rows = await tx.query<{ failures: number; locked_until: string | null }>(sql`
    INSERT INTO login_throttle AS t (login_key, failures, window_start, locked_until)
    VALUES (${loginKey}, 1, ${at}, NULL)
    ON CONFLICT (login_key) DO UPDATE SET
      failures = CASE WHEN t.window_start <= ${at}::timestamptz - make_interval(secs => ${windowSeconds})
                      THEN 1 ELSE t.failures + 1 END,
      window_start = CASE WHEN t.window_start <= ${at}::timestamptz - make_interval(secs => ${windowSeconds})
                      THEN ${at}::timestamptz ELSE t.window_start END,
      locked_until = CASE
        WHEN t.window_start > ${at}::timestamptz - make_interval(secs => ${windowSeconds}) AND t.failures + 1 >= ${maxFailures}
        THEN ${at}::timestamptz + make_interval(secs => ${windowSeconds})
        ELSE NULL END
    RETURNING failures, locked_until`);
  return rows[0] as { failures: number; locked_until: string | null };
}

export async function clearFailures(tx: Queryable, loginKey: string): Promise<void> {
  await tx.query(sql`DELETE FROM login_throttle WHERE login_key = ${loginKey}`);
}

export interface OrgRow {
  id: string;
  type: OrgType;
  name_zh: string;
  name_en: string | null;
  uscc: string | null;
  district: string | null;
  status: string;
  founded_on: string | null;
  headcount: number | null;
  tags: string[];
  industry_codes: string[];
  categories: string[];
}

export async function findOrg(q: Queryable, orgId: string): Promise<OrgRow | null> {
  const rows = await q.query<OrgRow>(sql`
    SELECT id, type, name_zh, name_en, uscc, district, status, founded_on::text AS founded_on, headcount, tags,
           industry_codes, categories
    FROM organisations WHERE id = ${orgId}`);
  return rows[0] ?? null;
}
