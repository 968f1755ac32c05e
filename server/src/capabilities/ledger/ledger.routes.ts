import type { RouteSpec } from '../../app/route';
import type { LedgerOpsService } from './ledger-ops.service';

export function ledgerRoutes(ops: LedgerOpsService): RouteSpec[] {
  return [
    {
      method: 'get', path: '/admin/reconcile', tag: 'ops', auth: ['platform_admin'],
      summary: 'Recompute every balance from the journal and list each difference (ok: true when there is none)',
      responses: { 200: { description: 'The reconciliation report' } },
      handler: () => ops.reconcile(),
    },
  ];
}
