import { idParams, poolReportQuery, reportQuery, signalsQuery } from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { ReportsService } from './reports.service';
import { sendReportCsv, sendSignalsCsv } from './reports-csv';

const READERS = ['platform_admin', 'issuer_manager', 'issuer_approver', 'issuer_auditor'] as const;
const AUDITORS = ['platform_admin', 'issuer_auditor', 'issuer_approver'] as const;
const csvOrJson = { 200: { description: 'The report (JSON, or CSV with UTF-8 BOM when ?format=csv)' }, 400: { description: 'REPORT_RANGE_INVALID' }, 403: { description: 'Another issuer' } };

export function reportsRoutes(reports: ReportsService): RouteSpec[] {
  return [
    {
      method: 'get', path: '/reports/overview', tag: 'reports', auth: READERS, query: reportQuery,
      summary: '统计 Budget, voucher and redemption figures, 拉动比 and a daily series, filtered by issuer, kind, merchant district and category, dates',
      responses: csvOrJson,
      handler: async ({ actor, query, res }) => {
        const { format, ...filters } = query;
        const report = await reports.overview(actor!, filters);
        return format === 'csv' ? sendReportCsv(res, report, 'overview') : report;
      },
    },
    {
      method: 'get', path: '/reports/pools/:id', tag: 'reports', auth: READERS, params: idParams, query: poolReportQuery,
      summary: "One pool's figures, daily series and merchants (default range: since the pool was created)",
      responses: { ...csvOrJson, 404: { description: 'Not found, or not yours' } },
      handler: async ({ actor, params, query, res }) => {
        const { format, ...filters } = query;
        const report = await reports.pool(actor!, params.id, filters);
        return format === 'csv' ? sendReportCsv(res, report, `pool-${params.id.slice(0, 8)}`) : report;
      },
    },
    {
      method: 'get', path: '/pools/:id/funders', tag: 'reports', auth: READERS, params: idParams,
      summary: '市区协同 Budget, issued, reserved, spent (net of reversals) and settled per funder, from the journal; each entry is '
        + 'split by share (remainder to the first funder), so the funders add up to the pool. No funders: one implicit funder, the issuer',
      responses: { 200: { description: '{poolId, implicit, funders[{code, nameZh, shareBp, budgetFen, issuedFen, reservedFen, spentFen, settledFen}], totals}' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params }) => reports.funders(actor!, params.id),
    },
    {
      method: 'get', path: '/reports/signals', tag: 'reports', auth: AUDITORS, query: signalsQuery,
      summary: 'Fraud signals: daily spikes, orders clustered above a 满减 threshold, one holder redeeming many, night redemptions',
      responses: csvOrJson,
      handler: async ({ actor, query, res }) => {
        const { format, ...filters } = query;
        const report = await reports.signals(actor!, filters);
        return format === 'csv' ? sendSignalsCsv(res, report) : report;
      },
    },
  ];
}
