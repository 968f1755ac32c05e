/** Typed calls of the reports (measure 31): figures with a daily series, per pool, and fraud signals; each also as CSV. */
import type { PoolKind, PoolReport, Report, SignalsReport } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

export interface ReportFilter {
  from: string;
  to: string;
  kind?: PoolKind | undefined;
  district?: string | undefined;
  category?: string | undefined;
}

export const reportsApi = {
  overview: (filter: ReportFilter, signal?: AbortSignal) => api.request<Report>(withQuery('/reports/overview', { ...filter }), { signal }),

  pool: (poolId: string, filter: ReportFilter, signal?: AbortSignal) =>
    api.request<PoolReport>(withQuery(`/reports/pools/${encodeURIComponent(poolId)}`, { ...filter }), { signal }),

  signals: (filter: { from: string; to: string; kind?: PoolKind | undefined }, signal?: AbortSignal) =>
    api.request<SignalsReport>(withQuery('/reports/signals', { ...filter }), { signal }),

  csvPath: (path: '/reports/overview' | '/reports/signals', filter: Record<string, string | undefined>) =>
    withQuery(path, { ...filter, format: 'csv' }),
};
