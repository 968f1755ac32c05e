/**
 * The CSV forms of the reports (UTF-8 with a BOM so that Excel shows Chinese): a report is its
 * figures as label/value rows, an empty row, then the daily series with a totals row; signals
 * are one row each. Both are bounded (≤ 366 days; ≤ 500 signals per kind), so built in memory.
 */
import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { fenToYuanText, type PoolReport, type Report, type SignalsReport } from '@hqt/shared';

const UTF8_BOM = '\ufeff';
const yuan = fenToYuanText;
const bp = (v: number | null) => (v === null ? '' : `${(v / 100).toFixed(2)}%`);

function figureRows(r: Report): string[][] {
  const f = r.figures;
  const s = r.scope;
  return [
    ['指标 Figure', '值 Value'],
    ['范围 Range', `${s.from} – ${s.to}`],
    ['筛选 Filters', [s.issuerId && `issuer=${s.issuerId}`, s.poolId && `pool=${s.poolId}`, s.kind && `kind=${s.kind}`,
      s.district && `district=${s.district}`, s.category && `category=${s.category}`].filter(Boolean).join(' ')],
    ['券池数 Pools', String(f.poolCount)],
    ['预算(元) Budget', yuan(f.budgetFen)],
    ['可用(元) Available', yuan(f.availableFen)],
    ['已发放未使用(元) Reserved', yuan(f.reservedFen)],
    ['已核销(元) Spent', yuan(f.spentFen)],
    ['已结算(元) Settled', yuan(f.settledFen)],
    ['发放张数 Vouchers issued', String(f.vouchersIssued)],
    ['核销张数 Vouchers redeemed', String(f.vouchersRedeemed)],
    ['过期张数 Vouchers expired', String(f.vouchersExpired)],
    ['核销率 Redemption rate', bp(f.redemptionRateBp)],
    ['补贴金额(元) Discount', yuan(f.discountFen)],
    ['带动消费(元) Order value', yuan(f.orderValueFen)],
    ['拉动比 Leverage', f.leverage ?? ''],
  ];
}

function seriesRows(r: Report): string[][] {
  const f = r.figures;
  return [
    ['日期 Date', '发放 Issued', '核销 Redeemed', '过期 Expired', '补贴(元) Discount', '带动消费(元) Order value'],
    ...r.series.map((d) => [d.date, String(d.vouchersIssued), String(d.vouchersRedeemed), String(d.vouchersExpired),
      yuan(d.discountFen), yuan(d.orderValueFen)]),
    ['合计 Total', String(f.vouchersIssued), String(f.vouchersRedeemed), String(f.vouchersExpired), yuan(f.discountFen), yuan(f.orderValueFen)],
  ];
}

function send(res: Response, name: string, rows: string[][]): undefined {
  res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
  res.send(UTF8_BOM + stringify(rows));
  return undefined;
}

export function sendReportCsv(res: Response, r: Report | PoolReport, name: string): undefined {
  return send(res, `${name}-${r.scope.from}-${r.scope.to}.csv`, [...figureRows(r), [], ...seriesRows(r)]);
}

export function sendSignalsCsv(res: Response, r: SignalsReport): undefined {
  return send(res, `signals-${r.scope.from}-${r.scope.to}.csv`, [
    ['类型 Kind', '日期 Date', '商户 Merchant', '券池 Pool', '持券人 Holder', '测量值 Measure', '阈值 Threshold', '窗口 Window',
      '说明', 'Explanation'],
    ...r.signals.map((s) => [s.kind, s.date, s.merchant.nameZh, s.pool?.nameZh ?? '', s.holderId ?? '', String(s.measure),
      String(s.threshold), `${s.window.from} – ${s.window.to}`, s.sentenceZh, s.sentenceEn]),
  ]);
}
