/** Typed calls of the lottery (摇号): entering, the published summary, the entrant list after the draw. */
import { LOTTERY_PAGE_SIZE_MAX, type LotteryEntry, type LotterySummary, type Page, type PublishedEntry } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export const lotteryApi = {
  summary: (poolId: string, round: number | undefined, signal?: AbortSignal) =>
    api.request<LotterySummary>(withQuery(`/pools/${encodeURIComponent(poolId)}/lottery`, { round }), { signal }),

  enter: (poolId: string) => api.request<LotteryEntry>(`/pools/${encodeURIComponent(poolId)}/lottery/entries`, { method: 'POST' }),

  entries: (
    poolId: string,
    params: { round: number; cursor?: string; limit?: number; result?: 'won' | 'lost' },
    signal?: AbortSignal,
  ) =>
    api.request<Page<PublishedEntry>>(
      withQuery(`/pools/${encodeURIComponent(poolId)}/lottery/entries`, { limit: LOTTERY_PAGE_SIZE_MAX, ...params }),
      { signal },
    ),
};
