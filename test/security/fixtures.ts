/**
 * Shared by the security tests: one demo login per role, the live route table, a checksum
 * of every table that holds money or a decision, and two tenants' worth of objects (one
 * per issuer, holder and merchant) to reach across.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Role } from '@hqt/shared';
import { createApp } from '../../server/src/app/create-app';
import type { RouteSpec } from '../../server/src/app/route';
import { createLogger } from '../../server/src/platform/logger';
import { sql } from '../../server/src/platform/db';
import { bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';
import { walletToken } from '../redemptions/fixtures';

export type Caller = Role | 'anonymous';

export const CALLERS: readonly Caller[] = [
  'platform_admin', 'issuer_manager', 'issuer_approver', 'issuer_auditor', 'enterprise', 'consumer',
  'merchant_cashier', 'merchant_admin', 'anonymous',
];

/** Each demo login holds exactly one role. */
export const LOGIN_OF: Record<Role, string> = {
  platform_admin: 'admin',
  issuer_manager: 'jxw.manager',
  issuer_approver: 'jxw.approver',
  issuer_auditor: 'jxw.auditor',
  enterprise: 'ent.alpha',
  consumer: '13800138000',
  merchant_cashier: 'mch.catering.cashier',
  merchant_admin: 'mch.catering',
};

/** The route table createApp mounts, taken from a second app over the same services. */
export function liveSpecs(h: Harness): RouteSpec[] {
  const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
  return createApp({ config: h.config, db: h.db, logger: quiet, clock: h.clock }, h.services).specs;
}

export async function tokensByRole(h: Harness): Promise<Record<Caller, string | null>> {
  const out = { anonymous: null } as Record<Caller, string | null>;
  for (const [role, login] of Object.entries(LOGIN_OF)) out[role as Role] = await h.login(login);
  return out;
}

/**
 * Tables whose rows are money, holdings or decisions: a refused request must leave them as
 * they were. Refused sign-ins are audited on purpose (auth.login_failed, auth.locked_out,
 * auth.refresh_reused), so those audit rows are left out.
 */
export const GUARDED_TABLES: [table: string, where: string][] = [
  ...['pools', 'pool_budget_changes', 'pool_merchants', 'vouchers', 'holder_pool_counters', 'holder_daily_counters',
    'holder_annual_usage', 'journal_transactions', 'journal_entries', 'ledger_rollups', 'redemptions', 'redemption_keys', 'redemption_reversals',
    'applications', 'grant_batches', 'lottery_entries', 'ticket_stub_uses', 'organisations', 'memberships', 'pool_round_counters',
    'pool_eligible_list'].map((t): [string, string] => [t, 'TRUE']),
  ['audit_log', "action NOT LIKE 'auth.%'"],
];

/** md5 over every guarded table's rows (in a stable order): equal checksums, equal data. */
export async function guardedChecksum(h: Harness): Promise<string> {
  const parts = GUARDED_TABLES.map(([t, where]) =>
    `(SELECT '${t}:' || count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ${t} x WHERE ${where})`);
  const [row] = await h.db.query<{ sum: string }>(sql.raw(`SELECT md5(concat_ws(',', ${parts.join(', ')})) AS sum`));
  return row!.sum;
}

/** A path with every `:param` filled in. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([A-Za-z]+)/g, (_m, name: string) => values[name] ?? randomUUID());
}

export async function orgIdOf(h: Harness, login: string): Promise<string> {
  const [row] = await h.db.query<{ org_id: string }>(sql`SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.login = ${login}`);
  return row!.org_id;
}

export interface Tenants {
  /** jxw (the callers' issuer) */
  ownPool: string;
  ownVoucher: string;
  ownRedemption: string;
  /** swj (another issuer), other holders, another merchant */
  otherPool: string;
  otherDraftPool: string;
  otherConsumerVoucher: string;
  otherEnterpriseVoucher: string;
  otherBudgetChange: string;
  otherApplication: string;
  otherGrant: string;
  otherRedemption: string;
  otherMerchantOrg: string;
  /** settlement batches: swj × catering (foreign to jxw), swj × compute (foreign to jxw and to catering) */
  otherIssuerSettlement: string;
  otherMerchantSettlement: string;
  otherEnterpriseOrg: string;
  otherIssuerOrg: string;
}

async function ok<T = Record<string, unknown>>(res: { status: number; body: unknown }, what: string, status = [200, 201]): Promise<T> {
  if (!status.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** Builds the objects of two tenants through the API (demo data must be seeded). */
export async function buildTenants(h: Harness): Promise<Tenants> {
  const http = () => h.http();
  const claimAs = async (login: string, poolId: string, password?: string) => ok<{ id: string; code: string; qr: { key?: string; token?: string } }>(
    await http().post(`/api/v1/pools/${poolId}/claims`).set(bearer(await h.login(login, password))).set('Idempotency-Key', idemKey()).send({}), `claim ${login}`);

  const ownPool = (await openPool(h, { perHolderMax: 5 })).id;
  const otherPool = (await openPool(h, { perHolderMax: 5 }, 'swj')).id;
  const b2bPool = (await openPool(h, { kind: 'compute', distribution: 'first_come', budgetFen: 1_000_000, perHolderMax: 5, valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 20_000 } }, 'swj')).id;
  const swjManager = await h.login('swj.manager');
  const draft = await ok<{ id: string }>(await http().post('/api/v1/pools').set(bearer(swjManager)).send({
    kind: 'consumption', budgetFen: 90_000, claimOpensAt: new Date(h.clock.now().getTime() - 3_600_000).toISOString(),
    claimClosesAt: new Date(h.clock.now().getTime() + 86_400_000).toISOString(),
  }), 'draft pool');

  await ok(await http().post('/api/v1/auth/register/consumer').send({ phone: '13900001111', password: 'other-holder-1' }), 'register consumer B');
  const ownVoucher = (await claimAs('13800138000', ownPool)).id;
  const otherConsumerVoucher = (await claimAs('13900001111', otherPool, 'other-holder-1')).id;
  const enterpriseVoucher = await claimAs('ent.beta', b2bPool);

  const budget = await ok<{ id: string }>(await http().post(`/api/v1/pools/${otherPool}/budget-changes`).set(bearer(swjManager))
    .send({ deltaFen: 9_000, reason: '追加预算' }), 'budget change');

  const computeOrg = await orgIdOf(h, 'mch.compute');
  const appPool = (await openPool(h, { kind: 'compute', distribution: 'application', budgetFen: 5_000_000, valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 500_000 } }, 'swj')).id;
  const application = await ok<{ id: string }>(await http().post(`/api/v1/pools/${appPool}/applications`).set(bearer(await h.login('ent.beta')))
    .field('contractRef', 'HT-X-1').field('contractAmountFen', '1000000').field('providerId', computeOrg), 'application');

  const grantPool = (await openPool(h, { distribution: 'auto_grant', budgetFen: 90_000 }, 'swj')).id;
  const grant = await ok<{ id: string }>(await http().post(`/api/v1/pools/${grantPool}/grants`).set(bearer(swjManager)).send({ mode: 'all_matching' }), 'grant');

  const computeCashier = await h.login('mch.compute.cashier');
  const otherRedemption = await ok<{ id: string }>(await http().post('/api/v1/redemptions').set(bearer(computeCashier)).set('Idempotency-Key', idemKey())
    .send({ token: enterpriseVoucher.qr.token, orderAmountFen: 10_000, orderRef: 'x-1', contractRef: 'HT-B-1', invoiceNo: 'INV-1' }), 'B2B redemption');
  const ownCashier = await h.login('mch.catering.cashier');
  const v = await claimAs('13800138000', ownPool);
  const ownRedemption = await ok<{ id: string }>(await http().post('/api/v1/redemptions').set(bearer(ownCashier)).set('Idempotency-Key', idemKey())
    .send({ token: walletToken({ code: v.code, qr: { mode: 'dynamic', ...v.qr } }, h.clock.now().getTime()), orderAmountFen: 40_000, orderRef: 'own-1' }), 'own redemption');

  // settlement: a posted redemption of swj at each merchant, then the next business day's batches
  const b = await claimAs('13900001111', otherPool, 'other-holder-1');
  await ok(await http().post('/api/v1/redemptions').set(bearer(ownCashier)).set('Idempotency-Key', idemKey())
    .send({ token: walletToken({ code: b.code, qr: { mode: 'dynamic', ...b.qr } }, h.clock.now().getTime()), orderAmountFen: 40_000, orderRef: 'swj-1' }), 'swj redemption');
  await ok(await http().post(`/api/v1/redemptions/${otherRedemption.id}/confirm`).set(bearer(await h.login('ent.beta'))).send({}), 'confirm B2B');
  h.clock.advanceMs(26 * 3_600_000);
  const run = await h.services.jobs.run('settlement', 'manual');
  if (run.status !== 'succeeded') throw new Error(`settlement: ${JSON.stringify(run)}`);
  const batches = await h.db.query<{ id: string; merchant_id: string }>(sql`
    SELECT b.id, b.merchant_id FROM settlement_batches b JOIN organisations o ON o.id = b.issuer_id
    JOIN memberships m ON m.org_id = o.id JOIN users u ON u.id = m.user_id WHERE u.login = 'swj.manager'`);
  const cateringOrg = await orgIdOf(h, 'mch.catering');
  const byMerchant = (id: string) => batches.find((x) => x.merchant_id === id)?.id as string;
  if (!byMerchant(cateringOrg) || !byMerchant(computeOrg)) throw new Error(`settlement batches: ${JSON.stringify(batches)}`);

  return {
    otherIssuerSettlement: byMerchant(cateringOrg), otherMerchantSettlement: byMerchant(computeOrg),
    ownPool, ownVoucher, ownRedemption: ownRedemption.id,
    otherPool, otherDraftPool: draft.id, otherConsumerVoucher, otherEnterpriseVoucher: enterpriseVoucher.id,
    otherBudgetChange: budget.id, otherApplication: application.id, otherGrant: grant.id, otherRedemption: otherRedemption.id,
    otherMerchantOrg: computeOrg, otherEnterpriseOrg: await orgIdOf(h, 'ent.beta'), otherIssuerOrg: await orgIdOf(h, 'swj.manager'),
  };
}

/** A problem body with the request-specific `instance` left out. */
export function comparable(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const { instance: _instance, ...rest } = body as Record<string, unknown>;
  return rest;
}
