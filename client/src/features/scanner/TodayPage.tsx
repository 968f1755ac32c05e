/**
 * /today (merchant): today's redemptions (Asia/Shanghai business day) with their totals,
 * newest first, refreshed while the page is open; each posted one can be reversed here.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { Pool, Redemption } from '@hqt/shared';
import { formatFen, formatTime, shanghaiBusinessDay } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { poolsApi } from '../pools/poolsApi';
import { listWhile } from '../redemptions/redemptionsApi';
import { RedemptionStatusBadge } from '../redemptions/RedemptionStatusBadge';
import { ReverseButton } from '../redemptions/ReverseButton';
import { reversible } from '../redemptions/reversal';

const REFRESH_MS = 15_000;

interface Today {
  day: string;
  items: Redemption[];
  truncated: boolean;
  pools: Map<string, Pool>;
}

async function loadToday(signal: AbortSignal): Promise<Today> {
  const day = shanghaiBusinessDay(Date.now());
  const [{ items, truncated }, pools] = await Promise.all([
    listWhile({}, (r) => shanghaiBusinessDay(r.createdAt) === day, signal),
    poolsApi.list({}, signal).catch(() => ({ items: [] as Pool[], nextCursor: null })),
  ]);
  return { day, items, truncated, pools: new Map(pools.items.map((p) => [p.id, p])) };
}

interface Totals {
  count: number;
  orderFen: number;
  discountFen: number;
  payFen: number;
  reversedCount: number;
  pendingCount: number;
}

/** Posted redemptions count; reversed ones are listed but add nothing; B2B holds are counted apart. */
function totalsOf(items: readonly Redemption[]): Totals {
  const totals: Totals = { count: 0, orderFen: 0, discountFen: 0, payFen: 0, reversedCount: 0, pendingCount: 0 };
  for (const r of items) {
    if (r.status === 'posted') {
      totals.count += 1;
      totals.orderFen += r.orderAmountFen;
      totals.discountFen += r.discountFen;
      totals.payFen += r.payFen;
    } else if (r.status === 'reversed') totals.reversedCount += 1;
    else if (r.status === 'pending') totals.pendingCount += 1;
  }
  return totals;
}

function TotalsCard({ totals }: { totals: Totals }) {
  const { t } = useTranslation();
  return (
    <dl className="stat-grid" data-testid="today-totals">
      <div className="stat">
        <dt>{t('today.count')}</dt>
        <dd data-testid="today-count">{totals.count}</dd>
      </div>
      <div className="stat">
        <dt>{t('today.orderTotal')}</dt>
        <dd>{formatFen(totals.orderFen)}</dd>
      </div>
      <div className="stat">
        <dt>{t('today.discountTotal')}</dt>
        <dd data-testid="today-discount">{formatFen(totals.discountFen)}</dd>
      </div>
      <div className="stat">
        <dt>{t('today.payTotal')}</dt>
        <dd>{formatFen(totals.payFen)}</dd>
      </div>
      {totals.reversedCount > 0 && (
        <div className="stat">
          <dt>{t('today.reversed')}</dt>
          <dd>{totals.reversedCount}</dd>
        </div>
      )}
      {totals.pendingCount > 0 && (
        <div className="stat">
          <dt>{t('today.pending')}</dt>
          <dd>{totals.pendingCount}</dd>
        </div>
      )}
    </dl>
  );
}

function Row({ redemption, pool, onChanged }: { redemption: Redemption; pool: Pool | null; onChanged: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <li className="card redemption-row" data-testid="today-redemption">
      <div className="queue-head">
        <span>
          <time dateTime={redemption.createdAt}>{formatTime(redemption.createdAt, lang)}</time> ·{' '}
          <code className="voucher-code">{redemption.voucherCode}</code>
        </span>
        <RedemptionStatusBadge status={redemption.status} />
      </div>
      <p className="muted small">{pool === null ? '' : localName(lang, pool.nameZh, pool.nameEn)}</p>
      <p className="redemption-figures">
        {t('today.line', {
          order: formatFen(redemption.orderAmountFen),
          discount: formatFen(redemption.discountFen),
          pay: formatFen(redemption.payFen),
        })}
      </p>
      <div className="button-row">
        <Link to={`/receipts/${redemption.id}`} className="button button-text" aria-label={t('today.openNamed', { code: redemption.voucherCode })}>
          {t('today.open')}
        </Link>
        {reversible(redemption, pool, Date.now()) && <ReverseButton redemption={redemption} onReversed={onChanged} />}
      </div>
    </li>
  );
}

export function TodayPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('areas.today.title'));
  const { state, reload } = useLoad('today', loadToday, REFRESH_MS);
  const [shown, setShown] = useState<'all' | 'posted' | 'reversed'>('all');
  return (
    <div className="mobile-page">
      <div className="page-head">
        <h1>
          <Term k="areas.today.title" />
        </h1>
        <Link to="/scanner" className="button button-primary">
          {t('areas.scanner.title')}
        </Link>
      </div>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          <p className="muted small">
            {t('today.intro', { day: state.data.day, time: formatTime(state.refreshedAt, i18n.language) })}
          </p>
          {state.refreshError !== null && <ProblemAlert error={state.refreshError} onRetry={reload} />}
          <TotalsCard totals={totalsOf(state.data.items)} />
          {state.data.truncated && <p className="note small">{t('today.truncated')}</p>}
          <div className="segmented" role="group" aria-label={t('today.filter')}>
            {(['all', 'posted', 'reversed'] as const).map((f) => (
              <button key={f} type="button" className="button button-ghost" aria-pressed={shown === f} onClick={() => setShown(f)}>
                {t(`today.filters.${f}`)}
              </button>
            ))}
          </div>
          {state.data.items.length === 0 ? (
            <p className="empty">
              {t('today.empty')} <Link to="/scanner">{t('areas.scanner.title')}</Link>
            </p>
          ) : (
            <ul className="queue">
              {state.data.items
                .filter((r) => shown === 'all' || r.status === shown)
                .map((r) => (
                  <Row key={r.id} redemption={r} pool={state.data.pools.get(r.poolId) ?? null} onChanged={reload} />
                ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
