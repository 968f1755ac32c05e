/** Typed calls of the settlement capability: batches, their approval and payment, statements. */
import type { Page, SettlementBatch, SettlementBatchDetail, SettlementStatus } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export const SETTLEMENT_PAGE_SIZE = 100;

export const settlementApi = {
  list: (params: { status?: SettlementStatus; merchantId?: string; cursor?: string }, signal?: AbortSignal) =>
    api.request<Page<SettlementBatch>>(withQuery('/settlements', { limit: SETTLEMENT_PAGE_SIZE, ...params }), { signal }),

  get: (id: string, signal?: AbortSignal) => api.request<SettlementBatchDetail>(`/settlements/${encodeURIComponent(id)}`, { signal }),

  approve: (id: string) => api.request<SettlementBatch>(`/settlements/${encodeURIComponent(id)}/approve`, { method: 'POST' }),

  markPaid: (id: string, paymentRef: string) =>
    api.request<SettlementBatch>(`/settlements/${encodeURIComponent(id)}/mark-paid`, { method: 'POST', body: { paymentRef } }),

  statementPath: (id: string) => `/settlements/${encodeURIComponent(id)}/statement.csv`,
};
