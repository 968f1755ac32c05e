/**
 * /dashboard (issuer roles, measure 31): budget, burn-down, claims and redemptions per hour
 * and per day, breakdowns by merchant district and category, 拉动比, and fraud signals.
 * Served by the reports API when it is deployed; until then, computed from the lists and
 * marked so. Loaded on demand (ECharts is large and no other page needs it).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { leverageRatio, POOL_KINDS, type PoolKind, type Signal } from '@hqt/shared';
import { AwaitingApi } from '../../app/AwaitingApi';
import { DownloadButton } from '../../app/DownloadButton';
import { RadioGroup, SelectField } from '../../app/fields';
import { formatBp, formatDate, formatFen, formatTime } from '../../app/format';
import { categoryName, districtName, localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { Chart } from './Chart';
import { loadDashboard, type Breakdown, type DashboardData } from './dashboardData';
import { reportsApi } from './reportsApi';

const REFRESH_MS = 60_000;
const PERIODS = ['7', '30', '90'] as const;
type Period = (typeof PERIODS)[number];

/** Axis labels stay short: ¥250万 / ¥2.5M rather than ¥2,500,000 (display only; the tables show exact amounts). */
function yuanAxisFor(zh: boolean): (fen: number) => string {
  const steps: [number, string][] = zh ? [[1e8, '亿'], [1e4, '万']] : [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  return (fen) => {
    const yuan = fen / 100;
    const step = steps.find(([size]) => Math.abs(yuan) >= size);
    return step === undefined ? `¥${yuan}` : `¥${Number((yuan / step[0]).toFixed(2))}${step[1]}`;
  };
}
const money = (value: unknown) => (typeof value === 'number' ? formatFen(Math.round(value)) : String(value));
const shortDate = (date: string) => date.slice(5);

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

function FiguresGrid({ data }: { data: DashboardData }) {
  const { t } = useTranslation();
  const f = data.figures;
  return (
    <dl className="stat-grid stat-grid-wide" data-testid="dashboard-figures">
      <Stat label={t('dashboard.budget')} value={formatFen(f.budgetFen)} />
      <Stat label={t('budget.spent')} value={formatFen(f.spentFen)} testId="figure-spent" />
      <Stat label={t('budget.reserved')} value={formatFen(f.reservedFen)} />
      <Stat label={t('budget.available')} value={formatFen(f.availableFen)} />
      <Stat label={t('dashboard.issued')} value={String(f.vouchersIssued)} />
      <Stat label={t('dashboard.redeemed')} value={String(f.vouchersRedeemed)} testId="figure-redeemed" />
      <Stat label={t('dashboard.rate')} value={f.redemptionRateBp === null ? '—' : formatBp(f.redemptionRateBp)} />
      <Stat label={t('dashboard.discount')} value={formatFen(f.discountFen)} testId="figure-discount" />
      <Stat label={t('dashboard.orderValue')} value={formatFen(f.orderValueFen)} />
      <Stat label={t('dashboard.leverage')} value={f.leverage === null ? '—' : `${f.leverage}×`} testId="figure-leverage" />
    </dl>
  );
}

function BurnCharts({ data }: { data: DashboardData }) {
  const { t, i18n } = useTranslation();
  const names = data.pools.map((p) => localName(i18n.language, p.nameZh, p.nameEn));
  return (
    <div className="chart-grid">
      <Chart
        id="burn"
        title={t('dashboard.burnTitle')}
        option={{
          tooltip: { trigger: 'axis', valueFormatter: money },
          xAxis: { type: 'category', data: data.burn.map((b) => shortDate(b.date)) },
          yAxis: { type: 'value', axisLabel: { formatter: yuanAxisFor(i18n.language.startsWith('zh')) } },
          series: [{ name: t('dashboard.left'), type: 'line', data: data.burn.map((b) => b.leftFen), areaStyle: { opacity: 0.12 }, symbol: 'none' }],
        }}
        table={{ columns: [t('dashboard.date'), t('dashboard.left')], rows: data.burn.map((b) => [b.date, formatFen(b.leftFen)]) }}
      />
      <Chart
        id="pools"
        title={t('dashboard.poolsTitle')}
        height={Math.max(200, 60 + data.pools.length * 36)}
        option={{
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: money },
          legend: { top: 0 },
          grid: { left: 8, right: 16, top: 36, bottom: 8 },
          xAxis: { type: 'value', axisLabel: { formatter: yuanAxisFor(i18n.language.startsWith('zh')) } },
          yAxis: { type: 'category', data: names, axisLabel: { width: 140, overflow: 'truncate' } },
          series: [
            { name: t('budget.spent'), type: 'bar', stack: 'b', data: data.pools.map((p) => p.spentFen) },
            { name: t('budget.reserved'), type: 'bar', stack: 'b', data: data.pools.map((p) => p.reservedFen) },
            { name: t('budget.available'), type: 'bar', stack: 'b', data: data.pools.map((p) => p.availableFen) },
          ],
        }}
        table={{
          columns: [t('history.pool'), t('budget.spent'), t('budget.reserved'), t('budget.available')],
          rows: data.pools.map((p, i) => [names[i] ?? p.id, formatFen(p.spentFen), formatFen(p.reservedFen), formatFen(p.availableFen)]),
        }}
      />
    </div>
  );
}

function ActivityCharts({ data }: { data: DashboardData }) {
  const { t } = useTranslation();
  const hours = data.hours.map((h) => `${String(h.hour).padStart(2, '0')}:00`);
  const leverage = data.days.map((d) => {
    const ratio = leverageRatio(d.orderValueFen, d.discountFen);
    return ratio === null ? null : Number(ratio);
  });
  return (
    <div className="chart-grid">
      <Chart
        id="hours"
        title={t('dashboard.hoursTitle')}
        option={{
          legend: { top: 0 },
          xAxis: { type: 'category', data: hours, axisLabel: { interval: 2 } },
          yAxis: { type: 'value', minInterval: 1 },
          series: [
            { name: t('dashboard.claims'), type: 'bar', data: data.hours.map((h) => h.claims) },
            { name: t('dashboard.redemptions'), type: 'bar', data: data.hours.map((h) => h.redemptions) },
          ],
        }}
        table={{ columns: [t('dashboard.hour'), t('dashboard.claims'), t('dashboard.redemptions')], rows: data.hours.map((h, i) => [hours[i] ?? '', h.claims, h.redemptions]) }}
      />
      <Chart
        id="days"
        title={t('dashboard.daysTitle')}
        option={{
          legend: { top: 0 },
          xAxis: { type: 'category', data: data.days.map((d) => shortDate(d.date)) },
          yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', splitLine: { show: false }, axisLabel: { formatter: (v: number) => `${v}×` } }],
          series: [
            { name: t('dashboard.claims'), type: 'bar', data: data.days.map((d) => d.issued) },
            { name: t('dashboard.redemptions'), type: 'bar', data: data.days.map((d) => d.redeemed) },
            { name: t('dashboard.leverage'), type: 'line', yAxisIndex: 1, data: leverage, connectNulls: true },
          ],
        }}
        table={{
          columns: [t('dashboard.date'), t('dashboard.claims'), t('dashboard.redemptions'), t('dashboard.discount'), t('dashboard.orderValue'), t('dashboard.leverage')],
          rows: data.days.map((d, i) => [d.date, d.issued, d.redeemed, formatFen(d.discountFen), formatFen(d.orderValueFen), leverage[i] === null ? '—' : String(leverage[i])]),
        }}
      />
    </div>
  );
}

function breakdownChart(id: string, title: string, rows: readonly Breakdown[], label: (code: string) => string, t: TFunction, zh: boolean) {
  const names = rows.map((r) => label(r.code));
  return (
    <Chart
      id={id}
      title={title}
      height={Math.max(180, 60 + rows.length * 34)}
      note={rows.length === 0 ? <p className="empty">{t('dashboard.noRedemptions')}</p> : undefined}
      option={{
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: money },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8 },
        xAxis: { type: 'value', axisLabel: { formatter: yuanAxisFor(zh) } },
        yAxis: { type: 'category', data: names, inverse: true },
        series: [
          { name: t('dashboard.discount'), type: 'bar', data: rows.map((r) => r.discountFen) },
          { name: t('dashboard.orderValue'), type: 'bar', data: rows.map((r) => r.orderValueFen) },
        ],
      }}
      table={{
        columns: [title, t('dashboard.redeemed'), t('dashboard.discount'), t('dashboard.orderValue'), t('dashboard.leverage')],
        rows: rows.map((r, i) => [names[i] ?? r.code, r.redeemed, formatFen(r.discountFen), formatFen(r.orderValueFen), leverageRatio(r.orderValueFen, r.discountFen) ?? '—']),
      }}
    />
  );
}

function Breakdowns({ data }: { data: DashboardData }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <div className="chart-grid">
      {breakdownChart('districts', t('dashboard.byDistrict'), data.byDistrict, (c) => districtName(c, lang), t, lang.startsWith('zh'))}
      {breakdownChart('categories', t('dashboard.byCategory'), data.byCategory, (c) => categoryName(c, lang), t, lang.startsWith('zh'))}
    </div>
  );
}

function SignalTable({ signals }: { signals: readonly Signal[] }) {
  const { t, i18n } = useTranslation();
  const zh = i18n.language.startsWith('zh');
  if (signals.length === 0) return <p className="empty">{t('dashboard.noSignals')}</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="signals">
        <thead>
          <tr>
            <th scope="col">{t('dashboard.date')}</th>
            <th scope="col">{t('dashboard.signalKind')}</th>
            <th scope="col">{t('dashboard.merchant')}</th>
            <th scope="col">{t('history.pool')}</th>
            <th scope="col">{t('dashboard.signalWhat')}</th>
          </tr>
        </thead>
        <tbody>
          {signals.map((s, i) => (
            <tr key={`${s.kind}:${s.merchant.id}:${s.date}:${i}`}>
              <td>{s.date}</td>
              <td>{t(`signalKinds.${s.kind}`)}</td>
              <td>{s.merchant.nameZh}</td>
              <td>{s.pool?.nameZh ?? '—'}</td>
              <td>{zh ? s.sentenceZh : s.sentenceEn}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Signals({ data }: { data: DashboardData }) {
  const { t } = useTranslation();
  const window = data.signalsWindow;
  const { signals } = data;
  return (
    <section className="card" aria-labelledby="signals-title">
      <div className="page-head">
        <h2 id="signals-title">{t('dashboard.signalsTitle')}</h2>
        {signals.status === 'ready' && (
          <DownloadButton path={reportsApi.csvPath('/reports/signals', window)} fileName={`signals-${window.from}-${window.to}.csv`}>
            {t('dashboard.csv')}
          </DownloadButton>
        )}
      </div>
      <p className="muted small">{t('dashboard.signalsIntro', { from: window.from, to: window.to })}</p>
      {signals.status === 'missing' && <AwaitingApi what={t('dashboard.signalsTitle')} endpoint="GET /api/v1/reports/signals" />}
      {signals.status === 'forbidden' && <p className="note" data-testid="signals-forbidden">{t('dashboard.signalsForbidden')}</p>}
      {signals.status === 'ready' && <SignalTable signals={signals.signals} />}
    </section>
  );
}

export function DashboardPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('areas.dashboard.title'));
  const [period, setPeriod] = useState<Period>('30');
  const [kind, setKind] = useState<'' | PoolKind>('');
  const { state, reload } = useLoad(`dashboard:${period}:${kind}`, (signal) => loadDashboard(Number(period), kind === '' ? undefined : kind, signal), REFRESH_MS);
  return (
    <>
      <h1>
        <Term k="areas.dashboard.title" />
      </h1>
      <div className="toolbar">
        <RadioGroup id="dashboard-period" name="dashboard-period" legend={t('dashboard.period')} value={period} onChange={setPeriod} options={PERIODS.map((p) => ({ value: p, label: t('dashboard.lastDays', { n: Number(p) }) }))} />
        <SelectField id="dashboard-kind" label={t('facts.kind')} value={kind} onChange={setKind} options={[{ value: '' as const, label: t('dashboard.allKinds') }, ...POOL_KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))]} />
      </div>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          {state.refreshError !== null && <ProblemAlert error={state.refreshError} onRetry={reload} />}
          <div className="page-head">
            <p className="muted small" data-testid="dashboard-source">
              {t(state.data.source === 'reports' ? 'dashboard.fromReports' : 'dashboard.fromLists', {
                from: formatDate(`${state.data.from}T12:00:00+08:00`, i18n.language),
                to: formatDate(`${state.data.to}T12:00:00+08:00`, i18n.language),
                time: formatTime(state.refreshedAt, i18n.language),
              })}
            </p>
            {state.data.source === 'reports' && (
              <DownloadButton path={reportsApi.csvPath('/reports/overview', { from: state.data.from, to: state.data.to, kind: kind === '' ? undefined : kind })} fileName={`overview-${state.data.from}-${state.data.to}.csv`}>
                {t('dashboard.csv')}
              </DownloadButton>
            )}
          </div>
          {state.data.source === 'live' && (
            <>
              <AwaitingApi what={t('dashboard.reports')} endpoint="GET /api/v1/reports/overview" />
              {state.data.truncated && <p className="note small">{t('dashboard.truncated')}</p>}
            </>
          )}
          <FiguresGrid data={state.data} />
          <BurnCharts data={state.data} />
          <ActivityCharts data={state.data} />
          <Breakdowns data={state.data} />
          <Signals data={state.data} />
        </>
      )}
    </>
  );
}
