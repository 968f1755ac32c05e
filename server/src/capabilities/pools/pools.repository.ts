/** SQL of pools, budget changes, merchant enrolment and the merchant registry. */
import type { Pool, PoolStatus } from '@hqt/shared';
import { sql, type Queryable, type SQL } from '../../platform/db';

export interface PoolRow {
  id: string; issuer_id: string; kind: Pool['kind']; audience: Pool['audience']; name_zh: string; name_en: string | null;
  description: string | null; policy_ref: string | null; budget_fen: number; available_fen: number;
  value_type: Pool['valueRule']['type']; amount_fen: number; min_spend_fen: number; ratio_bp: number | null;
  distribution: Pool['distribution']; claim_opens_at: string; claim_closes_at: string; valid_days: number | null;
  valid_until: string | null; per_holder_max: number; per_holder_daily_max: number | null; annual_cap_fen: number | null;
  eligibility: Pool['eligibility']; merchant_scope: Pool['merchantScope']; banned_categories: string[];
  redemption_mode: Pool['redemptionMode']; reissue_unused: boolean; rounds: Pool['rounds']; funders: Pool['funders'];
  ticket_stub_required: boolean; confirm_mode: Pool['confirmMode']; reversal_window_minutes: number | null;
  lottery_seed: string | null; lottery_seed_hash: string | null; lottery_drawn_at: string | null;
  status: PoolStatus; funded: boolean; created_by: string; submitted_by: string | null; approved_by: string | null;
  reject_reason: string | null; version: number; created_at: string; updated_at: string;
}

/** Column values of a pool as stored; JSON columns as objects. */
export interface PoolColumns {
  kind: string; audience: string; name_zh: string; name_en: string | null; description: string | null;
  policy_ref: string | null; budget_fen: number; value_type: string; amount_fen: number; min_spend_fen: number;
  ratio_bp: number | null; distribution: string; claim_opens_at: string; claim_closes_at: string;
  valid_days: number | null; valid_until: string | null; per_holder_max: number; per_holder_daily_max: number | null;
  annual_cap_fen: number | null; eligibility: unknown; merchant_scope: unknown; banned_categories: string[];
  redemption_mode: string; reissue_unused: boolean; rounds: unknown; funders: unknown; ticket_stub_required: boolean;
  confirm_mode: string; reversal_window_minutes: number | null;
}

const JSON_COLUMNS = new Set(['eligibility', 'merchant_scope', 'rounds', 'funders']);

function valueSql(column: string, value: unknown): SQL {
  if (JSON_COLUMNS.has(column)) return sql`${JSON.stringify(value)}::jsonb`;
  if (column === 'banned_categories') {
    const list = value as string[];
    return list.length === 0 ? sql`'{}'::text[]` : sql`ARRAY[${sql.join(list.map((v) => sql`${v}`), sql`, `)}]::text[]`;
  }
  if (column.endsWith('_at') || column === 'valid_until') return sql`${value as string | null}::timestamptz`;
  return sql`${value}`;
}

export async function insertPool(tx: Queryable, issuerId: string, createdBy: string, cols: PoolColumns, at: Date): Promise<PoolRow> {
  const names = Object.keys(cols) as (keyof PoolColumns)[];
  const rows = await tx.query<PoolRow>(sql`
    INSERT INTO pools (issuer_id, created_by, created_at, updated_at, ${sql.raw(names.join(', '))})
    VALUES (${issuerId}, ${createdBy}, ${at.toISOString()}, ${at.toISOString()}, ${sql.join(names.map((n) => valueSql(n, cols[n])), sql`, `)})
    RETURNING *`);
  return rows[0] as PoolRow;
}

/** Optimistic update of an editable pool; no row when the version or status moved. */
export async function updateEditable(tx: Queryable, id: string, version: number, cols: Partial<PoolColumns>, at: Date): Promise<PoolRow | null> {
  const sets = (Object.keys(cols) as (keyof PoolColumns)[]).map((n) => sql`${sql.raw(n)} = ${valueSql(n, cols[n])}`);
  const rows = await tx.query<PoolRow>(sql`
    UPDATE pools SET ${sql.join(sets, sql`, `)}, version = version + 1, status = 'draft', reject_reason = NULL,
      updated_at = ${at.toISOString()}
    WHERE id = ${id} AND version = ${version} AND status IN ('draft', 'rejected')
    RETURNING *`);
  return rows[0] ?? null;
}

export async function findPool(q: Queryable, id: string): Promise<PoolRow | null> {
  const rows = await q.query<PoolRow>(sql`SELECT * FROM pools WHERE id = ${id}`);
  return rows[0] ?? null;
}

export async function lockPool(tx: Queryable, id: string): Promise<PoolRow | null> {
  const rows = await tx.query<PoolRow>(sql`SELECT * FROM pools WHERE id = ${id} FOR UPDATE`);
  return rows[0] ?? null;
}

/** Moves a pool between states in one conditional statement; no row when it was not in `from`. */
export async function transition(
  tx: Queryable, id: string, from: PoolStatus[], to: PoolStatus, at: Date, extra: SQL = sql``,
): Promise<PoolRow | null> {
  const rows = await tx.query<PoolRow>(sql`
    UPDATE pools SET status = ${to}, version = version + 1, updated_at = ${at.toISOString()} ${extra}
    WHERE id = ${id} AND status IN (${sql.join(from.map((s) => sql`${s}`), sql`, `)})
    RETURNING *`);
  return rows[0] ?? null;
}

export interface PoolFilter {
  issuerIds: string[] | 'all';
  statuses?: PoolStatus[];
  audience?: 'enterprise' | 'consumer';
  kind?: string;
  beforeCreatedAt?: string;
  beforeId?: string;
  limit: number;
}

export async function listPools(q: Queryable, f: PoolFilter): Promise<PoolRow[]> {
  const where: SQL[] = [sql`TRUE`];
  if (f.issuerIds !== 'all') {
    if (f.issuerIds.length === 0) return [];
    where.push(sql`issuer_id IN (${sql.join(f.issuerIds.map((i) => sql`${i}::uuid`), sql`, `)})`);
  }
  if (f.statuses) where.push(sql`status IN (${sql.join(f.statuses.map((s) => sql`${s}`), sql`, `)})`);
  if (f.audience) where.push(sql`audience = ${f.audience}`);
  if (f.kind) where.push(sql`kind = ${f.kind}`);
  if (f.beforeCreatedAt && f.beforeId) {
    where.push(sql`(created_at, id) < (${f.beforeCreatedAt}::timestamptz, ${f.beforeId}::uuid)`);
  }
  return q.query<PoolRow>(sql`SELECT * FROM pools WHERE ${sql.join(where, sql` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit}`);
}

// ---- budget changes ----

export interface BudgetChangeRow {
  id: string; pool_id: string; delta_fen: number; reason: string; status: string; requested_by: string;
  decided_by: string | null; decided_at: string | null; created_at: string;
}

export async function insertBudgetChange(tx: Queryable, poolId: string, deltaFen: number, reason: string, by: string, at: Date): Promise<BudgetChangeRow> {
  const rows = await tx.query<BudgetChangeRow>(sql`
    INSERT INTO pool_budget_changes (pool_id, delta_fen, reason, requested_by, created_at)
    VALUES (${poolId}, ${deltaFen}, ${reason}, ${by}, ${at.toISOString()}) RETURNING *`);
  return rows[0] as BudgetChangeRow;
}

export async function lockBudgetChange(tx: Queryable, id: string): Promise<BudgetChangeRow | null> {
  const rows = await tx.query<BudgetChangeRow>(sql`SELECT * FROM pool_budget_changes WHERE id = ${id} FOR UPDATE`);
  return rows[0] ?? null;
}

export async function decideBudgetChange(tx: Queryable, id: string, status: 'approved' | 'rejected', by: string, at: Date): Promise<void> {
  await tx.query(sql`UPDATE pool_budget_changes SET status = ${status}, decided_by = ${by}, decided_at = ${at.toISOString()}
    WHERE id = ${id} AND status = 'pending'`);
}

// ---- merchants ----

export interface MerchantRow {
  id: string; name_zh: string; name_en: string | null; uscc: string; district: string | null; status: string;
  categories: string[]; created_at: string;
}

export async function listMerchants(q: Queryable, f: { status?: string; category?: string; district?: string; afterId?: string; limit: number }): Promise<MerchantRow[]> {
  const where: SQL[] = [sql`type = 'merchant'`];
  if (f.status) where.push(sql`status = ${f.status}`);
  if (f.category) where.push(sql`${f.category} = ANY(categories)`);
  if (f.district) where.push(sql`district = ${f.district}`);
  if (f.afterId) where.push(sql`id > ${f.afterId}::uuid`);
  return q.query<MerchantRow>(sql`SELECT id, name_zh, name_en, uscc, district, status, categories, created_at
    FROM organisations WHERE ${sql.join(where, sql` AND `)} ORDER BY id LIMIT ${f.limit}`);
}

export async function setMerchantStatus(tx: Queryable, id: string, from: string[], to: string): Promise<MerchantRow | null> {
  const rows = await tx.query<MerchantRow>(sql`UPDATE organisations SET status = ${to}
    WHERE id = ${id} AND type = 'merchant' AND status IN (${sql.join(from.map((s) => sql`${s}`), sql`, `)})
    RETURNING id, name_zh, name_en, uscc, district, status, categories, created_at`);
  return rows[0] ?? null;
}

export async function activeMerchants(q: Queryable, ids: string[]): Promise<string[]> {
  const rows = await q.query<{ id: string }>(sql`SELECT id FROM organisations
    WHERE type = 'merchant' AND status = 'active' AND id IN (${sql.join(ids.map((i) => sql`${i}::uuid`), sql`, `)})`);
  return rows.map((r) => r.id);
}

export async function enrol(tx: Queryable, poolId: string, merchantIds: string[], by: string, at: Date): Promise<number> {
  const values = merchantIds.map((m) => sql`(${poolId}::uuid, ${m}::uuid, ${by}::uuid, ${at.toISOString()}::timestamptz)`);
  const rows = await tx.query(sql`INSERT INTO pool_merchants (pool_id, merchant_id, enrolled_by, enrolled_at)
    VALUES ${sql.join(values, sql`, `)} ON CONFLICT DO NOTHING RETURNING merchant_id`);
  return rows.length;
}

export async function enrolledMerchants(q: Queryable, poolId: string, afterId: string | undefined, limit: number): Promise<MerchantRow[]> {
  const after = afterId ? sql`o.id > ${afterId}::uuid` : sql`TRUE`;
  return q.query<MerchantRow>(sql`SELECT o.id, o.name_zh, o.name_en, o.uscc, o.district, o.status, o.categories, o.created_at
    FROM pool_merchants pm JOIN organisations o ON o.id = pm.merchant_id
    WHERE pm.pool_id = ${poolId} AND ${after} ORDER BY o.id LIMIT ${limit}`);
}

export async function isEnrolled(q: Queryable, poolId: string, merchantId: string): Promise<boolean> {
  const rows = await q.query(sql`SELECT 1 FROM pool_merchants WHERE pool_id = ${poolId} AND merchant_id = ${merchantId}`);
  return rows.length > 0;
}

// ---- eligibility subjects ----

export interface SubjectRow {
  district: string | null; founded_on: string | null; headcount: number | null; tags: string[]; industry_codes: string[];
  uscc: string | null;
}

export async function enterpriseSubject(q: Queryable, orgId: string): Promise<SubjectRow | null> {
  const rows = await q.query<SubjectRow>(sql`SELECT district, founded_on::text AS founded_on, headcount, tags, industry_codes, uscc
    FROM organisations WHERE id = ${orgId} AND type = 'enterprise'`);
  return rows[0] ?? null;
}

export async function consumerSubject(q: Queryable, userId: string): Promise<{ real_name: boolean; residence_district: string | null; phone: string | null } | null> {
  const rows = await q.query<{ real_name: boolean; residence_district: string | null; phone: string | null }>(sql`
    SELECT resident_id_hash IS NOT NULL AS real_name, residence_district, phone FROM users WHERE id = ${userId}`);
  return rows[0] ?? null;
}

/** The batch forms of the two subject queries above (the claim batcher), keyed by id. */
export async function enterpriseSubjects(q: Queryable, orgIds: string[]): Promise<(SubjectRow & { id: string })[]> {
  return q.query<SubjectRow & { id: string }>(sql`SELECT id, district, founded_on::text AS founded_on, headcount, tags, industry_codes, uscc
    FROM organisations WHERE id = ANY(${sql.param(orgIds)}::uuid[]) AND type = 'enterprise'`);
}

export async function consumerSubjects(q: Queryable, userIds: string[]): Promise<{ id: string; real_name: boolean; residence_district: string | null; phone: string | null }[]> {
  return q.query(sql`SELECT id, resident_id_hash IS NOT NULL AS real_name, residence_district, phone
    FROM users WHERE id = ANY(${sql.param(userIds)}::uuid[])`);
}

export async function onEligibleListMany(q: Queryable, poolId: string, identifiers: string[]): Promise<Set<string>> {
  const rows = await q.query<{ identifier: string }>(sql`SELECT identifier FROM pool_eligible_list
    WHERE pool_id = ${poolId} AND identifier = ANY(${sql.param(identifiers)}::text[])`);
  return new Set(rows.map((r) => r.identifier));
}

export async function onEligibleList(q: Queryable, poolId: string, identifiers: string[]): Promise<boolean> {
  const ids = identifiers.filter((i) => i.length > 0);
  if (ids.length === 0) return false;
  const rows = await q.query(sql`SELECT 1 FROM pool_eligible_list WHERE pool_id = ${poolId}
    AND identifier IN (${sql.join(ids.map((i) => sql`${i}`), sql`, `)}) LIMIT 1`);
  return rows.length > 0;
}

export async function displayNames(q: Queryable, userIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Map();
  const rows = await q.query<{ id: string; display_name: string }>(sql`SELECT id, display_name FROM users
    WHERE id IN (${sql.join(ids.map((i) => sql`${i}::uuid`), sql`, `)})`);
  return new Map(rows.map((r) => [r.id, r.display_name]));
}

export async function listBudgetChangesWithPool(q: Queryable, issuerIds: string[] | 'all', status: string | null, limit: number, id?: string) {
  const scope = issuerIds === 'all' ? sql`TRUE` : issuerIds.length === 0 ? sql`FALSE`
    : sql`p.issuer_id IN (${sql.join(issuerIds.map((i) => sql`${i}::uuid`), sql`, `)})`;
  const st = status ? sql`c.status = ${status}` : sql`TRUE`;
  const one = id ? sql`c.id = ${id}` : sql`TRUE`;
  return q.query<BudgetChangeRow & { issuer_id: string; pool_name_zh: string; pool_name_en: string | null; requested_by_name: string; decided_by_name: string | null }>(sql`
    SELECT c.*, p.issuer_id, p.name_zh AS pool_name_zh, p.name_en AS pool_name_en,
           ru.display_name AS requested_by_name, du.display_name AS decided_by_name
    FROM pool_budget_changes c JOIN pools p ON p.id = c.pool_id
    JOIN users ru ON ru.id = c.requested_by LEFT JOIN users du ON du.id = c.decided_by
    WHERE ${scope} AND ${st} AND ${one} ORDER BY c.created_at DESC LIMIT ${limit}`);
}
