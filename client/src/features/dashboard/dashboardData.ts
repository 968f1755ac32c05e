/**
 * Everything the dashboard draws, in one shape, from the reports API (measure 31) when it is
 * deployed, else computed here from the lists the console can already read (pools,
 * vouchers, redemptions, merchants) — bounded, and marked as such. Today's per-hour counts
 * always come from the lists: the reports have a daily series only.
 */
import {
  addDays, daysInclusive, DISTRICTS, leverageRatio, MERCHANT_CATEGORIES, rateBp,
  type Page, type Pool, type PoolKind, type Redemption, type Report, type Signal, type Voucher,
} from '@hqt/shared';
import { ApiError } from '../../api/problem';
import { isMissingEndpoint } from '../../app/AwaitingApi';
import { shanghaiBusinessDay } from '../../app/format';
import { merchantsApi, type Merchant } from '../merchants/merchantsApi';
import { poolsApi } from '../pools/poolsApi';
import { redemptionsApi } from '../redemptions/redemptionsApi';
import { vouchersApi } from '../vouchers/vouchersApi';
import { reportsApi, type ReportFilter } from './reportsApi';

/** The lists are read at most this many pages (of 200) back; beyond, the live figures are partial. */
const LIST_PAGES_MAX = 10;
/** The signals endpoint covers at most this many days. */
const SIGNAL_DAYS_MAX = 31;
const FUNDED: readonly Pool['status'][] = ['scheduled', 'open', 'paused', 'closed'];

export interface Figures {
  poolCount: number;
  budgetFen: number;
  availableFen: number;
  reservedFen: number;
  spentFen: number;
  vouchersIssued: number;
  vouchersRedeemed: number;
  redemptionRateBp: number | null;
  discountFen: number;
  orderValueFen: number;
  leverage: string | null;
}

export interface Day {
  date: string;
  issued: number;
  redeemed: number;
  discountFen: number;
  orderValueFen: number;
}

export interface Breakdown {
  code: string;
  redeemed: number;
  discountFen: number;
  orderValueFen: number;
}

/** The fraud signals, or why there are none to show: not deployed yet, or not for this role (auditors and approvers). */
export type SignalsState = { status: 'ready'; signals: Signal[] } | { status: 'missing' } | { status: 'forbidden' };

export interface DashboardData {
  source: 'reports' | 'live';
  /** live figures only: the lists were longer than the pages read */
  truncated: boolean;
  from: string;
  to: string;
  figures: Figures;
  days: Day[];
  /** budget left (budget − spent) at the end of each day */
  burn: { date: string; leftFen: number }[];
  pools: Pool[];
  byDistrict: Breakdown[];
  byCategory: Breakdown[];
  /** today, Asia/Shanghai, hours 0–23 */
  hours: { hour: number; claims: number; redemptions: number }[];
  signals: SignalsState;
  signalsWindow: { from: string; to: string };
}

async function collect<T>(
  page: (cursor: string | undefined) => Promise<Page<T>>,
  keep: (item: T) => boolean,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < LIST_PAGES_MAX; n++) {
    const answer = await page(cursor);
    const kept = answer.items.filter(keep);
    items.push(...kept);
    if (answer.nextCursor === null || kept.length < answer.items.length) return { items, truncated: false };
    cursor = answer.nextCursor;
  }
  return { items, truncated: true };
}

function dates(from: string, to: string): string[] {
  return Array.from({ length: daysInclusive(from, to) }, (_, i) => addDays(from, i));
}

function shanghaiHour(at: string): number {
  return new Date(Date.parse(at) + 8 * 3600_000).getUTCHours();
}

function burnOf(days: readonly Day[], budgetFen: number, spentNowFen: number): { date: string; leftFen: number }[] {
  let spentLater = 0;
  const out: { date: string; leftFen: number }[] = [];
  for (let i = days.length - 1; i >= 0; i--) {
    const day = days[i] as Day;
    out.unshift({ date: day.date, leftFen: budgetFen - (spentNowFen - spentLater) });
    spentLater += day.discountFen;
  }
  return out;
}

function poolFigures(pools: readonly Pool[]): Pick<Figures, 'poolCount' | 'budgetFen' | 'availableFen' | 'reservedFen' | 'spentFen'> {
  const funded = pools.filter((p) => FUNDED.includes(p.status));
  return {
    poolCount: funded.length,
    budgetFen: funded.reduce((s, p) => s + p.budgetFen, 0),
    availableFen: funded.reduce((s, p) => s + p.availableFen, 0),
    reservedFen: funded.reduce((s, p) => s + p.reservedFen, 0),
    spentFen: funded.reduce((s, p) => s + p.spentFen, 0),
  };
}

function breakdown<K extends string>(redemptions: readonly Redemption[], keysOf: (r: Redemption) => readonly K[]): Breakdown[] {
  const rows = new Map<K, Breakdown>();
  for (const r of redemptions) {
    for (const code of keysOf(r)) {
      const row = rows.get(code) ?? { code, redeemed: 0, discountFen: 0, orderValueFen: 0 };
      row.redeemed += 1;
      row.discountFen += r.discountFen;
      row.orderValueFen += r.orderAmountFen;
      rows.set(code, row);
    }
  }
  return [...rows.values()].sort((a, b) => b.discountFen - a.discountFen);
}

interface Lists {
  pools: Pool[];
  redemptions: Redemption[];
  vouchers: Voucher[];
  merchants: Map<string, Merchant>;
  truncated: boolean;
}

async function readLists(from: string, kind: PoolKind | undefined, signal: AbortSignal): Promise<Lists> {
  const inRange = (at: string) => shanghaiBusinessDay(at) >= from;
  const [pools, redemptions, vouchers, merchants] = await Promise.all([
    poolsApi.list(kind === undefined ? {} : { kind }, signal),
    collect((cursor) => redemptionsApi.list(cursor === undefined ? {} : { cursor }, signal), (r) => inRange(r.createdAt)),
    collect((cursor) => vouchersApi.list(cursor === undefined ? {} : { cursor }, signal), (v) => inRange(v.issuedAt)),
    merchantsApi.list({ status: 'active' }, signal),
  ]);
  const poolIds = new Set(pools.items.map((p) => p.id));
  return {
    pools: pools.items,
    redemptions: redemptions.items.filter((r) => poolIds.has(r.poolId)),
    vouchers: vouchers.items.filter((v) => poolIds.has(v.poolId)),
    merchants: new Map(merchants.items.map((m) => [m.id, m])),
    truncated: redemptions.truncated || vouchers.truncated,
  };
}

function hoursOf(lists: Lists, today: string): DashboardData['hours'] {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, claims: 0, redemptions: 0 }));
  for (const v of lists.vouchers) if (shanghaiBusinessDay(v.issuedAt) === today) (hours[shanghaiHour(v.issuedAt)] as { claims: number }).claims += 1;
  for (const r of lists.redemptions) {
    if (shanghaiBusinessDay(r.createdAt) === today && r.status !== 'rejected' && r.status !== 'voided') {
      (hours[shanghaiHour(r.createdAt)] as { redemptions: number }).redemptions += 1;
    }
  }
  return hours;
}

function liveData(lists: Lists, from: string, to: string): Omit<DashboardData, 'hours' | 'signals' | 'signalsWindow'> {
  const posted = lists.redemptions.filter((r) => r.status === 'posted');
  const days: Day[] = dates(from, to).map((date) => {
    const own = posted.filter((r) => shanghaiBusinessDay(r.postedAt ?? r.createdAt) === date);
    return {
      date,
      issued: lists.vouchers.filter((v) => shanghaiBusinessDay(v.issuedAt) === date).length,
      redeemed: own.length,
      discountFen: own.reduce((s, r) => s + r.discountFen, 0),
      orderValueFen: own.reduce((s, r) => s + r.orderAmountFen, 0),
    };
  });
  const discountFen = posted.reduce((s, r) => s + r.discountFen, 0);
  const orderValueFen = posted.reduce((s, r) => s + r.orderAmountFen, 0);
  const pools = poolFigures(lists.pools);
  const merchant = (r: Redemption) => lists.merchants.get(r.merchantId);
  return {
    source: 'live',
    truncated: lists.truncated,
    from,
    to,
    figures: {
      ...pools,
      vouchersIssued: lists.vouchers.length,
      vouchersRedeemed: posted.length,
      redemptionRateBp: rateBp(posted.length, lists.vouchers.length),
      discountFen,
      orderValueFen,
      leverage: leverageRatio(orderValueFen, discountFen),
    },
    days,
    burn: burnOf(days, pools.budgetFen, pools.spentFen),
    pools: lists.pools.filter((p) => FUNDED.includes(p.status)),
    byDistrict: breakdown(posted, (r) => {
      const district = merchant(r)?.district;
      return district === null || district === undefined ? [] : [district];
    }),
    byCategory: breakdown(posted, (r) => merchant(r)?.categories ?? []),
  };
}

async function breakdownFromReports(filter: ReportFilter, by: 'district' | 'category', signal: AbortSignal): Promise<Breakdown[]> {
  const codes: string[] = by === 'district' ? DISTRICTS.map((d) => d.code) : MERCHANT_CATEGORIES.map((c) => c.code);
  const rows = await Promise.all(
    codes.map(async (code) => {
      const { figures } = await reportsApi.overview({ ...filter, [by]: code }, signal);
      return { code, redeemed: figures.vouchersRedeemed, discountFen: figures.discountFen, orderValueFen: figures.orderValueFen };
    }),
  );
  return rows.filter((r) => r.redeemed > 0 || r.discountFen > 0).sort((a, b) => b.discountFen - a.discountFen);
}

async function reportData(report: Report, lists: Lists, filter: ReportFilter, signal: AbortSignal): Promise<Omit<DashboardData, 'hours' | 'signals' | 'signalsWindow'>> {
  const [byDistrict, byCategory] = await Promise.all([
    breakdownFromReports(filter, 'district', signal),
    breakdownFromReports(filter, 'category', signal),
  ]);
  const { figures } = report;
  const days: Day[] = report.series.map((d) => ({
    date: d.date, issued: d.vouchersIssued, redeemed: d.vouchersRedeemed, discountFen: d.discountFen, orderValueFen: d.orderValueFen,
  }));
  return {
    source: 'reports',
    truncated: false,
    from: filter.from,
    to: filter.to,
    figures: {
      poolCount: figures.poolCount, budgetFen: figures.budgetFen, availableFen: figures.availableFen, reservedFen: figures.reservedFen,
      spentFen: figures.spentFen, vouchersIssued: figures.vouchersIssued, vouchersRedeemed: figures.vouchersRedeemed,
      redemptionRateBp: figures.redemptionRateBp, discountFen: figures.discountFen, orderValueFen: figures.orderValueFen, leverage: figures.leverage,
    },
    days,
    burn: burnOf(days, figures.budgetFen, figures.spentFen),
    pools: lists.pools.filter((p) => FUNDED.includes(p.status)),
    byDistrict,
    byCategory,
  };
}

async function signalsOf(window: { from: string; to: string }, kind: PoolKind | undefined, signal: AbortSignal): Promise<SignalsState> {
  try {
    return { status: 'ready', signals: (await reportsApi.signals({ ...window, kind }, signal)).signals };
  } catch (error) {
    if (isMissingEndpoint(error)) return { status: 'missing' };
    if (error instanceof ApiError && error.status === 403) return { status: 'forbidden' };
    throw error;
  }
}

export async function loadDashboard(days: number, kind: PoolKind | undefined, signal: AbortSignal): Promise<DashboardData> {
  const to = shanghaiBusinessDay(Date.now());
  const from = addDays(to, -(days - 1));
  const filter: ReportFilter = { from, to, kind };
  const signalsWindow = { from: addDays(to, -(Math.min(days, SIGNAL_DAYS_MAX) - 1)), to };
  const [lists, report, signals] = await Promise.all([
    readLists(from, kind, signal),
    reportsApi.overview(filter, signal).catch((error: unknown) => {
      if (isMissingEndpoint(error)) return null;
      throw error;
    }),
    signalsOf(signalsWindow, kind, signal),
  ]);
  const base = report === null ? liveData(lists, from, to) : await reportData(report, lists, filter, signal);
  return { ...base, hours: hoursOf(lists, to), signals, signalsWindow };
}
