/** Typed calls of the hash-chained audit log. */
import type { Page } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export interface AuditEntry {
  id: number;
  at: string;
  actorUserId: string | null;
  actorOrgId: string | null;
  orgId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  summary: Record<string, unknown>;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBrokenId: number | null;
}

export const auditApi = {
  list: (cursor: string | undefined, signal?: AbortSignal) =>
    api.request<Page<AuditEntry>>(withQuery('/audit', { limit: 50, cursor }), { signal }),
  verify: () => api.request<ChainVerification>('/audit/verify'),
};
