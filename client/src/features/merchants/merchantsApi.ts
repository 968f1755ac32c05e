/** Typed calls of the merchant registry and per-pool enrolment. */
import type { Page } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export type MerchantStatus = 'pending' | 'active' | 'suspended' | 'rejected';

export interface Merchant {
  id: string;
  nameZh: string;
  nameEn: string | null;
  uscc: string;
  district: string | null;
  status: MerchantStatus;
  categories: string[];
}

const PAGE = 200;

export const merchantsApi = {
  list: (params: { status?: MerchantStatus; category?: string; district?: string; cursor?: string }, signal?: AbortSignal) =>
    api.request<Page<Merchant>>(withQuery('/merchants', { limit: PAGE, ...params }), { signal }),

  decide: (id: string, approve: boolean) =>
    api.request<Merchant>(`/merchants/${encodeURIComponent(id)}/${approve ? 'approve' : 'reject'}`, { method: 'POST' }),

  enrolled: (poolId: string, cursor: string | undefined, signal?: AbortSignal) =>
    api.request<Page<Merchant>>(withQuery(`/pools/${encodeURIComponent(poolId)}/merchants`, { limit: PAGE, cursor }), { signal }),

  enrol: (poolId: string, merchantIds: string[]) =>
    api.request<{ enrolled: number }>(`/pools/${encodeURIComponent(poolId)}/merchants`, {
      method: 'POST',
      body: { merchantIds },
    }),
};
