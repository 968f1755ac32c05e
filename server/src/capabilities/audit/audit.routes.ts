import Joi from 'joi';
import { pageQuery } from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import { hasRole, orgsWithRole } from '../identity/tokens';
import type { AuditService } from './audit.service';

const auditQuery = pageQuery.keys({ cursor: Joi.string().pattern(/^\d{1,18}$/) });

export function auditRoutes(audit: AuditService): RouteSpec[] {
  return [
    {
      method: 'get', path: '/audit', tag: 'audit', summary: 'Audit log entries visible to the caller, newest first',
      auth: ['platform_admin', 'issuer_auditor', 'issuer_approver', 'issuer_manager', 'merchant_admin'],
      query: auditQuery,
      responses: { 200: { description: 'A page of entries' } },
      handler: async ({ actor, query }) => {
        const a = actor!;
        const scope = hasRole(a, ['platform_admin'])
          ? 'all'
          : orgsWithRole(a, ['issuer_auditor', 'issuer_approver', 'issuer_manager', 'merchant_admin']);
        return audit.list(scope, query.cursor, query.limit);
      },
    },
    {
      method: 'get', path: '/audit/verify', tag: 'audit', summary: 'Recompute the hash chain and report the first broken entry',
      auth: ['platform_admin', 'issuer_auditor'],
      responses: { 200: { description: '{ok, checked, firstBrokenId}' } },
      handler: () => audit.verify(),
    },
  ];
}
