/**
 * The work areas each role uses, in the order the home page shows them. Each area
 * has its own route; until its feature lands the route shows a "coming soon" page.
 */
import type { Role } from '../../api/types';

export const AREA_IDS = [
  'pools',
  'approvals',
  'merchants',
  'dashboard',
  'settlement',
  'audit',
  'claimablePools',
  'wallet',
  'confirmations',
  'history',
  'rounds',
  'vouchers',
  'scanner',
  'today',
  'statements',
  'organisations',
  'merchantApprovals',
] as const;

export type AreaId = (typeof AREA_IDS)[number];

export interface Area {
  id: AreaId;
  path: string;
}

/** Areas whose pages exist; the others show an honest "coming soon" page until their API lands. */
export const BUILT_AREAS: ReadonlySet<AreaId> = new Set<AreaId>([
  'pools',
  'approvals',
  'merchants',
  'dashboard',
  'settlement',
  'audit',
  'claimablePools',
  'wallet',
  'confirmations',
  'history',
  'rounds',
  'vouchers',
  'scanner',
  'today',
  'statements',
  'merchantApprovals',
]);

const AREA_PATHS: Record<AreaId, string> = {
  pools: '/pools',
  approvals: '/approvals',
  merchants: '/merchants',
  dashboard: '/dashboard',
  settlement: '/settlements',
  audit: '/audit',
  claimablePools: '/eligible-pools',
  wallet: '/wallet',
  confirmations: '/confirmations',
  history: '/history',
  rounds: '/rounds',
  vouchers: '/my-vouchers',
  scanner: '/scanner',
  today: '/today',
  statements: '/statements',
  organisations: '/admin/organisations',
  merchantApprovals: '/admin/merchant-approvals',
};

export const AREAS: readonly Area[] = AREA_IDS.map((id) => ({ id, path: AREA_PATHS[id] }));

const ISSUER_AREAS: readonly AreaId[] = ['pools', 'approvals', 'merchants', 'dashboard', 'settlement', 'audit'];
const MERCHANT_AREAS: readonly AreaId[] = ['scanner', 'today', 'statements'];

export const ROLE_AREAS: Record<Role, readonly AreaId[]> = {
  platform_admin: ['organisations', 'merchantApprovals'],
  issuer_manager: ISSUER_AREAS,
  issuer_approver: ISSUER_AREAS,
  issuer_auditor: ISSUER_AREAS,
  enterprise: ['claimablePools', 'wallet', 'confirmations', 'history'],
  consumer: ['rounds', 'vouchers'],
  merchant_cashier: MERCHANT_AREAS,
  merchant_admin: MERCHANT_AREAS,
};

/** Whether any of the roles uses the area. */
export function areaAllowed(id: AreaId, roles: readonly Role[]): boolean {
  return roles.some((role) => ROLE_AREAS[role].includes(id));
}

/** The areas for a set of roles, each once, in the order the roles list them. */
export function areasForRoles(roles: readonly Role[]): Area[] {
  const seen = new Set<AreaId>();
  const areas: Area[] = [];
  for (const role of roles) {
    for (const id of ROLE_AREAS[role]) {
      if (seen.has(id)) continue;
      seen.add(id);
      areas.push({ id, path: AREA_PATHS[id] });
    }
  }
  return areas;
}
