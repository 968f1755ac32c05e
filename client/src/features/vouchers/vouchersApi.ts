/** Typed calls of the vouchers capability: claiming, the wallet, one-click confirmation. */
import type { Page, Voucher } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export const vouchersApi = {
  /** 抢券. `idempotencyKey` is chosen once per click, so a retried request cannot claim twice. */
  claim: (poolId: string, idempotencyKey: string, ticketStub?: string) =>
    api.request<Voucher>(`/pools/${encodeURIComponent(poolId)}/claims`, {
      method: 'POST',
      body: ticketStub === undefined || ticketStub === '' ? {} : { ticketStub },
      headers: { 'Idempotency-Key': idempotencyKey },
    }),

  list: (params: { cursor?: string; poolId?: string }, signal?: AbortSignal) =>
    api.request<Page<Voucher>>(withQuery('/vouchers', { limit: 200, ...params }), { signal }),

  get: (id: string, signal?: AbortSignal) => api.request<Voucher>(`/vouchers/${encodeURIComponent(id)}`, { signal }),

  confirm: (id: string) => api.request<Voucher>(`/vouchers/${encodeURIComponent(id)}/confirm`, { method: 'POST' }),
};
