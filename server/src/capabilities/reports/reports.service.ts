/**
 * Owns the reports of measure 31 (read only): the overview and pool reports (balances, voucher
 * and redemption flows, 拉动比, a daily series), the fraud signals, and the daily rollup they
 * are served from. Issuer roles see their own issuer only; the platform admin sees all.
 *
 * Rollup: each closed Asia/Shanghai day is rebuilt once from the base tables into
 * report_daily (the job, every 15 minutes); days after the last rolled-up day are counted live
 * by the same statement. docs/REPORTS.md explains the choice.
 */
import {
  addDays, daysInclusive, leverageRatio, rateBp, REPORT_DAYS_MAX, shanghaiDate, SIGNAL_THRESHOLDS as T,
  type FunderFigures, type PoolFunderShare, type PoolFunders, type PoolReport, type Report, type ReportDay, type ReportFigures, type Signal, type SignalsReport,
} from '@hqt/shared';
import type { Clock } from '../../platform/clock';
import type { Db, Queryable } from '../../platform/db';
import { HttpProblem } from '../../app/problem';
import { hasRole, orgsWithRole, type Actor } from '../identity';
import { ISSUER_READ_ROLES, type PoolsService } from '../pools';
import * as repo from './reports.repository';
import type { Balances, DayFigures, ReportScope } from './reports.repository';
import { holderSignal, nightSignal, spikeSignal, thresholdSignal } from './signals';

/** a day is rolled up once it ended this long ago (late commits of the day have landed) */
export const ROLLUP_MARGIN_MS = 15 * 60_000;
/** days one rollup run rebuilds at most; the next run continues */
export const ROLLUP_DAYS_PER_RUN_MAX = 400;
const REPORT_DAYS_DEFAULT = 30;
const SIGNAL_DAYS_DEFAULT = 7;
const MERCHANTS_MAX = 100;
const SIGNAL_ROLES = ['issuer_auditor', 'issuer_approver'] as const;

export interface ReportFilters {
  issuer?: string;
  kind?: string;
  district?: string;
  category?: string;
  from?: string;
  to?: string;
}

const ZERO_DAY = { vouchers_issued: 0, vouchers_expired: 0, redemptions: 0, reversals: 0, discount_fen: 0, reversed_discount_fen: 0, order_fen: 0, reversed_order_fen: 0 };

/** Redemption flows net of reversals. */
function net(d: Omit<DayFigures, 'day'>): { vouchersRedeemed: number; discountFen: number; orderValueFen: number } {
  return {
    vouchersRedeemed: d.redemptions - d.reversals, discountFen: d.discount_fen - d.reversed_discount_fen,
    orderValueFen: d.order_fen - d.reversed_order_fen,
  };
}

function toDay(d: Omit<DayFigures, 'day'>, date: string): ReportDay {
  return { date, vouchersIssued: d.vouchers_issued, vouchersExpired: d.vouchers_expired, ...net(d) };
}

/** Every day of the range, zero where nothing happened. */
function fullSeries(rows: DayFigures[], from: string, to: string): ReportDay[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const out: ReportDay[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(toDay(byDay.get(d) ?? ZERO_DAY, d));
  return out;
}

function figuresOf(b: Balances, series: ReportDay[]): ReportFigures {
  const sum = (pick: (d: ReportDay) => number) => series.reduce((s, d) => s + pick(d), 0);
  const issued = sum((d) => d.vouchersIssued);
  const redeemed = sum((d) => d.vouchersRedeemed);
  const discountFen = sum((d) => d.discountFen);
  const orderValueFen = sum((d) => d.orderValueFen);
  return {
    poolCount: b.pool_count, budgetFen: b.budget_fen, availableFen: b.available_fen, reservedFen: b.reserved_fen,
    spentFen: b.spent_fen, settledFen: b.settled_fen, vouchersIssued: issued, vouchersRedeemed: redeemed,
    vouchersExpired: sum((d) => d.vouchersExpired), redemptionRateBp: rateBp(redeemed, issued), discountFen, orderValueFen,
    leverage: leverageRatio(orderValueFen, discountFen),
  };
}

export class ReportsService {
  /** `db` (the primary) is written by the rollup; `read` (a replica when configured) serves the reports */
  constructor(
    private readonly db: Db, private readonly read: Queryable, private readonly clock: Clock, private readonly pools: PoolsService,
  ) {}

  /** Job step: rebuilds each closed day after the rollup's last day, one transaction per day. */
  async rollUp(): Promise<{ days: number; through: string | null }> {
    const lastClosed = addDays(shanghaiDate(new Date(this.clock.now().getTime() - ROLLUP_MARGIN_MS)), -1);
    let through = await repo.rollupThrough(this.db);
    let next = through !== null ? addDays(through, 1) : await repo.firstEventDay(this.db);
    let days = 0;
    while (next !== null && next <= lastClosed && days < ROLLUP_DAYS_PER_RUN_MAX) {
      const d: string = next;
      if (!(await this.db.transaction((tx) => repo.rebuildDay(tx, d, through)))) break;
      through = d;
      next = addDays(d, 1);
      days++;
    }
    return { days, through };
  }

  /** The issuers an actor's report covers; `issuer` narrows it (another issuer's is refused). */
  private issuers(actor: Actor, roles: readonly ('issuer_manager' | 'issuer_approver' | 'issuer_auditor')[], issuer?: string): string[] | 'all' {
    const admin = hasRole(actor, ['platform_admin']);
    const own = orgsWithRole(actor, roles);
    if (issuer) {
      if (!admin && !own.includes(issuer)) throw new HttpProblem('FORBIDDEN', 'Only the platform admin reports on other issuers');
      return [issuer];
    }
    if (!admin && own.length === 0) throw new HttpProblem('FORBIDDEN');
    return admin ? 'all' : own;
  }

  private range(f: ReportFilters, defaultDays: number, maxDays: number, earliest?: string): { from: string; to: string } {
    const to = f.to ?? shanghaiDate(this.clock.now());
    const fallback = addDays(to, -(defaultDays - 1));
    const from = f.from ?? (earliest && earliest > fallback ? (earliest <= to ? earliest : to) : fallback);
    if (from > to) throw new HttpProblem('REPORT_RANGE_INVALID', `from ${from} is after to ${to}`);
    if (daysInclusive(from, to) > maxDays) throw new HttpProblem('REPORT_RANGE_INVALID', `At most ${maxDays} days per request`);
    return { from, to };
  }

  private async build(scope: ReportScope, from: string, to: string): Promise<Omit<Report, 'scope'> & { through: string | null }> {
    const through = await repo.rollupThrough(this.read);
    const [balances, rows] = [await repo.balances(this.read, scope), await repo.seriesByDay(this.read, scope, from, to, through)];
    const series = fullSeries(rows, from, to);
    return { through, rollupThrough: through, figures: figuresOf(balances, series), series };
  }

  async overview(actor: Actor, f: ReportFilters): Promise<Report> {
    const issuerIds = this.issuers(actor, ISSUER_READ_ROLES, f.issuer);
    const { from, to } = this.range(f, REPORT_DAYS_DEFAULT, REPORT_DAYS_MAX);
    const scope: ReportScope = { issuerIds, ...pick(f) };
    const { rollupThrough, figures, series } = await this.build(scope, from, to);
    return { scope: scopeOf(f, null, from, to), rollupThrough, figures, series };
  }

  async pool(actor: Actor, poolId: string, f: ReportFilters): Promise<PoolReport> {
    this.issuers(actor, ISSUER_READ_ROLES);
    const pool = await this.pools.visiblePool(actor, poolId);
    const { from, to } = this.range(f, REPORT_DAYS_MAX, REPORT_DAYS_MAX, shanghaiDate(new Date(pool.created_at)));
    const scope: ReportScope = { issuerIds: [pool.issuer_id], poolId, ...pick({ district: f.district, category: f.category }) };
    const { through, rollupThrough, figures, series } = await this.build(scope, from, to);
    const merchants = await repo.byMerchant(this.read, scope, from, to, through, MERCHANTS_MAX);
    return {
      scope: scopeOf({ ...f, issuer: pool.issuer_id, kind: pool.kind }, poolId, from, to), rollupThrough, figures, series,
      pool: { id: pool.id, nameZh: pool.name_zh, kind: pool.kind, status: pool.status },
      merchants: merchants.map((m) => {
        const d = net(m);
        return {
          merchantId: m.merchant_id, merchantNameZh: m.name_zh, district: m.district, ...d,
          leverage: leverageRatio(d.orderValueFen, d.discountFen),
        };
      }),
    };
  }

  /**
   * 市区协同: the pool's budget, issued, reserved, spent and settled split by funder (one
   * statement: one snapshot). Each figure of the funders adds up to the pool's; anything else is a bug.
   */
  async funders(actor: Actor, poolId: string): Promise<PoolFunders> {
    this.issuers(actor, ISSUER_READ_ROLES);
    const pool = await this.pools.visiblePool(actor, poolId);
    const rows = await repo.funderFigures(this.read, pool.id);
    const first = rows[0];
    if (!first) throw new Error(`assertion: pool ${pool.id} has no funder row`);
    const totals: FunderFigures = {
      budgetFen: first.total_budget_fen, issuedFen: first.total_issued_fen, reservedFen: first.total_reserved_fen,
      spentFen: first.total_spent_fen, settledFen: first.total_settled_fen,
    };
    const funders: PoolFunderShare[] = rows.map((r) => ({
      code: r.code, nameZh: r.name_zh, shareBp: r.share_bp, budgetFen: r.budget_fen, issuedFen: r.issued_fen,
      reservedFen: r.reserved_fen, spentFen: r.spent_fen, settledFen: r.settled_fen,
    }));
    for (const key of Object.keys(totals) as (keyof FunderFigures)[]) {
      const sum = funders.reduce((s, f) => s + f[key], 0);
      if (sum !== totals[key]) throw new Error(`assertion: pool ${pool.id} funders' ${key} add up to ${sum}, the pool's is ${totals[key]}`);
    }
    return { poolId: pool.id, implicit: pool.funders.length === 0, funders, totals };
  }

  /** The fraud signals of the days from…to (default: the last 7). */
  async signals(actor: Actor, f: Pick<ReportFilters, 'issuer' | 'kind' | 'from' | 'to'>): Promise<SignalsReport> {
    const issuerIds = this.issuers(actor, SIGNAL_ROLES, f.issuer);
    const { from, to } = this.range(f, SIGNAL_DAYS_DEFAULT, T.windowDaysMax);
    const scope: ReportScope = { issuerIds, ...(f.kind ? { kind: f.kind } : {}) };
    const through = await repo.rollupThrough(this.read);
    const history = Math.max(T.spikeTrailingDays, T.nightHistoryDays);
    const rows = repo.scopedRows(scope, addDays(from, -history), to, through);
    const signals: Signal[] = [
      ...(await repo.dailySpikes(this.read, rows, from, to)).map(spikeSignal),
      ...(await repo.thresholdClusters(this.read, rows, from, to)).map((r) => thresholdSignal(r, from, to)),
      ...(await repo.holderRepeats(this.read, scope, from, to)).map(holderSignal),
      ...(await repo.nightHours(this.read, rows, from, to)).map(nightSignal),
    ];
    return { scope: { issuerId: f.issuer ?? null, kind: f.kind ?? null, from, to }, signals };
  }
}

function pick(f: Pick<ReportFilters, 'kind' | 'district' | 'category'>): Partial<ReportScope> {
  return {
    ...(f.kind ? { kind: f.kind } : {}), ...(f.district ? { district: f.district } : {}), ...(f.category ? { category: f.category } : {}),
  };
}

function scopeOf(f: ReportFilters, poolId: string | null, from: string, to: string): Report['scope'] {
  return {
    issuerId: f.issuer ?? null, poolId, kind: f.kind ?? null, district: f.district ?? null, category: f.category ?? null, from, to,
  };
}
