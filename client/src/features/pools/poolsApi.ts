/** Typed calls of the pools capability (/pools, /budget-changes, /pool-presets). */
import type { BudgetChange, EligibilityResult, Page, Pool, PoolKind, PoolPreset, PoolStatus } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export type { BudgetChange } from '@hqt/shared';

export type LifecycleStep = 'submit' | 'approve' | 'pause' | 'resume' | 'close';

export const POOL_PAGE_SIZE_MAX = 200;

export const poolsApi = {
  presets: (signal?: AbortSignal) => api.request<Record<PoolKind, PoolPreset>>('/pool-presets', { signal }),

  list: (params: { status?: PoolStatus; kind?: PoolKind; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    api.request<Page<Pool>>(withQuery('/pools', { limit: POOL_PAGE_SIZE_MAX, ...params }), { signal }),

  get: (id: string, signal?: AbortSignal) => api.request<Pool>(`/pools/${encodeURIComponent(id)}`, { signal }),

  create: (body: Record<string, unknown>) => api.request<Pool>('/pools', { method: 'POST', body }),

  update: (id: string, body: Record<string, unknown>) =>
    api.request<Pool>(`/pools/${encodeURIComponent(id)}`, { method: 'PATCH', body }),

  step: (id: string, step: LifecycleStep) => api.request<Pool>(`/pools/${encodeURIComponent(id)}/${step}`, { method: 'POST' }),

  reject: (id: string, reason: string) =>
    api.request<Pool>(`/pools/${encodeURIComponent(id)}/reject`, { method: 'POST', body: { reason } }),

  eligibility: (id: string, signal?: AbortSignal) =>
    api.request<EligibilityResult>(`/pools/${encodeURIComponent(id)}/eligibility`, { signal }),

  requestBudgetChange: (id: string, deltaFen: number, reason: string) =>
    api.request<BudgetChange>(`/pools/${encodeURIComponent(id)}/budget-changes`, {
      method: 'POST',
      body: { deltaFen, reason },
    }),

  budgetChanges: (status: 'pending' | 'approved' | 'rejected' | undefined, signal?: AbortSignal) =>
    api.request<Page<BudgetChange>>(withQuery('/budget-changes', { status, limit: POOL_PAGE_SIZE_MAX }), { signal }),

  decideBudgetChange: (id: string, approve: boolean) =>
    api.request<BudgetChange>(`/budget-changes/${encodeURIComponent(id)}/${approve ? 'approve' : 'reject'}`, { method: 'POST' }),
};
