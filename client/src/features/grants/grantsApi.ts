/** Typed calls of auto-grant (免申即享) batches: a list upload or "everyone eligible", progress, results. */
import type { GrantBatch } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export const grantsApi = {
  uploadList: (poolId: string, file: File) => {
    const form = new FormData();
    form.set('file', file, file.name);
    return api.request<GrantBatch>(`/pools/${encodeURIComponent(poolId)}/grants`, { method: 'POST', form });
  },

  allMatching: (poolId: string) =>
    api.request<GrantBatch>(`/pools/${encodeURIComponent(poolId)}/grants`, { method: 'POST', body: { mode: 'all_matching' } }),

  list: (poolId: string, signal?: AbortSignal) =>
    api.request<{ items: GrantBatch[] }>(withQuery(`/pools/${encodeURIComponent(poolId)}/grants`, { limit: 50 }), { signal }),

  get: (id: string, signal?: AbortSignal) => api.request<GrantBatch>(`/grants/${encodeURIComponent(id)}`, { signal }),

  resultPath: (id: string) => `/grants/${encodeURIComponent(id)}/result.csv`,
};
