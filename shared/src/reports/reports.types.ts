/** What the report endpoints answer (measure 31). Amounts in fen, rates in basis points, dates Asia/Shanghai. */
import type { SignalKind } from './signals';

export interface ReportScope {
  issuerId: string | null;
  poolId: string | null;
  kind: string | null;
  district: string | null;
  category: string | null;
  from: string;
  to: string;
}

export interface ReportFigures {
  /** funded pools in scope */
  poolCount: number;
  /** balances now (not limited by from/to). With district/category filters, budget, available and
   *  reserved stay the pools' own figures; spent and settled count only the matching merchants. */
  budgetFen: number;
  availableFen: number;
  reservedFen: number;
  spentFen: number;
  /** the part of spent already paid out by settlement */
  settledFen: number;
  /** flows within from…to */
  vouchersIssued: number;
  /** posted redemptions minus reversals (for single-use 满减 vouchers: vouchers redeemed) */
  vouchersRedeemed: number;
  vouchersExpired: number;
  /** vouchersRedeemed / vouchersIssued in basis points; null when none were issued */
  redemptionRateBp: number | null;
  /** Σ discounts of posted redemptions minus reversed ones */
  discountFen: number;
  /** Σ order amounts of posted redemptions minus reversed ones */
  orderValueFen: number;
  /** 拉动比 = orderValue / discount, two decimals; null without discount */
  leverage: string | null;
}

export interface ReportDay {
  date: string;
  vouchersIssued: number;
  vouchersRedeemed: number;
  vouchersExpired: number;
  discountFen: number;
  orderValueFen: number;
}

export interface ReportMerchantRow {
  merchantId: string;
  merchantNameZh: string;
  district: string | null;
  vouchersRedeemed: number;
  discountFen: number;
  orderValueFen: number;
  leverage: string | null;
}

export interface Report {
  scope: ReportScope;
  /** the last day served from rollups; later days were counted from the base tables */
  rollupThrough: string | null;
  figures: ReportFigures;
  series: ReportDay[];
}

export interface PoolReport extends Report {
  pool: { id: string; nameZh: string; kind: string; status: string };
  /** per merchant within from…to, most discount first (at most 100) */
  merchants: ReportMerchantRow[];
}

export interface Signal {
  kind: SignalKind;
  merchant: { id: string; nameZh: string };
  pool: { id: string; nameZh: string } | null;
  /** the holder, for holder_repeat */
  holderId: string | null;
  /** the day the signal is about (the last day of its window) */
  date: string;
  /** what was measured, and the value it exceeded (units per kind: docs/REPORTS.md) */
  measure: number;
  threshold: number;
  window: { from: string; to: string };
  sentenceZh: string;
  sentenceEn: string;
}

export interface SignalsReport {
  scope: { issuerId: string | null; kind: string | null; from: string; to: string };
  signals: Signal[];
}
