/** Typed calls of the redemptions capability: preview, redeem, B2B confirm/reject, reversal, lists. */
import type { Page, RedeemRequest, Redemption, RedemptionPreview, RedemptionStatus } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export const REDEMPTION_PAGE_SIZE = 200;

export const redemptionsApi = {
  preview: (body: RedeemRequest, signal?: AbortSignal) =>
    api.request<RedemptionPreview>('/redemptions/preview', { method: 'POST', body, signal }),

  /** `idempotencyKey` is chosen once per confirmation, so a retried request never redeems twice. */
  redeem: (body: RedeemRequest, idempotencyKey: string) =>
    api.request<Redemption>('/redemptions', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }),

  list: (params: { status?: RedemptionStatus; poolId?: string; voucherId?: string; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    api.request<Page<Redemption>>(withQuery('/redemptions', { limit: REDEMPTION_PAGE_SIZE, ...params }), { signal }),

  get: (id: string, signal?: AbortSignal) => api.request<Redemption>(`/redemptions/${encodeURIComponent(id)}`, { signal }),

  confirm: (id: string) => api.request<Redemption>(`/redemptions/${encodeURIComponent(id)}/confirm`, { method: 'POST' }),

  reject: (id: string, reason: string) =>
    api.request<Redemption>(`/redemptions/${encodeURIComponent(id)}/reject`, { method: 'POST', body: { reason } }),

  reverse: (id: string, reason: string) =>
    api.request<Redemption>(`/redemptions/${encodeURIComponent(id)}/reversal`, {
      method: 'POST',
      body: reason === '' ? {} : { reason },
    }),
};

/** Pages back through the list while `keep` holds for the last item (newest first), up to `pagesMax` pages. */
export async function listWhile(
  params: { status?: RedemptionStatus },
  keep: (r: Redemption) => boolean,
  signal: AbortSignal,
  pagesMax = 10,
): Promise<{ items: Redemption[]; truncated: boolean }> {
  const items: Redemption[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < pagesMax; page++) {
    const answer = await redemptionsApi.list(cursor === undefined ? params : { ...params, cursor }, signal);
    const kept = answer.items.filter(keep);
    items.push(...kept);
    if (answer.nextCursor === null || kept.length < answer.items.length) return { items, truncated: false };
    cursor = answer.nextCursor;
  }
  return { items, truncated: true };
}
