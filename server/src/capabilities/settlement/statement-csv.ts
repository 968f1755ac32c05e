/**
 * The CSV statement of a settlement batch: UTF-8 with a BOM (so Excel shows Chinese), one line
 * per redemption or reversal (a reversal's amounts negative), times in Asia/Shanghai, yuan
 * with two decimals, the funder's share when the batch is a co-funder's, and a totals line.
 * Lines are read and written page by page, so memory stays flat whatever the batch size.
 */
import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { fenToYuanText, shanghaiDateTime, type SettlementBatch } from '@hqt/shared';
import type { StatementLineRow } from './settlement.repository';

export const UTF8_BOM = '\ufeff';
const PAGE_LINES = 2_000;

type LinePage = (afterId: number, limit: number) => Promise<StatementLineRow[]>;

function header(cofunded: boolean): string[] {
  const base = ['类型 Type', '时间 Time (Asia/Shanghai)', '券码 Voucher code', '订单号 Order ref', '券池 Pool',
    '订单金额(元) Order amount', '优惠金额(元) Discount'];
  return cofunded ? [...base, '出资方 Funder', '出资份额(元) Funder share'] : base;
}

function row(l: StatementLineRow, funder: string | null): string[] {
  const sign = l.kind === 'reversal' ? -1 : 1;
  const cells = [l.kind === 'reversal' ? '冲正 reversal' : '核销 redemption', shanghaiDateTime(l.at), l.voucher_code, l.order_ref,
    l.pool_name_zh, fenToYuanText(sign * l.order_amount_fen), fenToYuanText(l.discount_fen)];
  return funder === null ? cells : [...cells, funder, fenToYuanText(l.amount_fen)];
}

export function statementFileName(b: SettlementBatch): string {
  return `settlement-${b.businessDay}-${b.funderCode ? `${b.funderCode}-` : ''}${b.id.slice(0, 8)}.csv`;
}

export async function writeStatementCsv(res: Response, batch: SettlementBatch, page: LinePage): Promise<void> {
  try {
    await write(res, batch, page);
  } catch (err) {
    // the status line is gone: cut the download off so the client sees it failed
    if (res.headersSent) res.destroy(err as Error);
    throw err;
  }
}

async function write(res: Response, batch: SettlementBatch, page: LinePage): Promise<void> {
  const funder = batch.funderCode === null ? null : `${batch.funderNameZh ?? ''} (${batch.funderCode})`;
  res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${statementFileName(batch)}"`);
  res.write(UTF8_BOM + stringify([header(funder !== null)]));
  const total = { lines: 0, orderFen: 0, discountFen: 0, amountFen: 0 };
  for (let afterId = 0; ;) {
    const lines = await page(afterId, PAGE_LINES);
    if (lines.length === 0) break;
    res.write(stringify(lines.map((l) => row(l, funder))));
    for (const l of lines) {
      total.lines++;
      total.orderFen += (l.kind === 'reversal' ? -1 : 1) * l.order_amount_fen;
      total.discountFen += l.discount_fen;
      total.amountFen += l.amount_fen;
    }
    afterId = (lines[lines.length - 1] as StatementLineRow).id;
  }
  if (total.amountFen !== batch.amountFen) throw new Error(`assertion: statement of ${batch.id} sums ${total.amountFen}, batch ${batch.amountFen}`);
  const totals = ['合计 Total', `${total.lines}`, '', '', '', fenToYuanText(total.orderFen), fenToYuanText(total.discountFen)];
  res.end(stringify([funder === null ? totals : [...totals, funder, fenToYuanText(total.amountFen)]]));
}
