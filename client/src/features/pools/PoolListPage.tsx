/** /pools: the issuer's pools with live budget bars (refreshed every 10 s while visible). */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { Pool, PoolStatus } from '@hqt/shared';
import { formatTime } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { SelectField } from '../../app/fields';
import { useSession } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { BudgetBar } from './BudgetBar';
import { claimWindowText } from './describe';
import { poolsApi } from './poolsApi';
import { PoolStatusBadge } from './StatusBadge';

export const BUDGET_REFRESH_MS = 10_000;

const STATUS_FILTERS = ['all', 'draft', 'pending_approval', 'scheduled', 'open', 'paused', 'closed', 'rejected'] as const;
type StatusFilter = (typeof STATUS_FILTERS)[number];

function PoolCard({ pool }: { pool: Pool }) {
  const { t, i18n } = useTranslation();
  return (
    <li className="card pool-card" data-testid="pool-card">
      <div className="pool-card-head">
        <h2 className="pool-card-title">
          <Link to={`/pools/${pool.id}`}>{localName(i18n.language, pool.nameZh, pool.nameEn)}</Link>
        </h2>
        <PoolStatusBadge status={pool.status} />
      </div>
      <p className="pool-meta">
        <span>
          <Term k={`kinds.${pool.kind}`} />
        </span>
        <span>{t(`distributions.${pool.distribution}`)}</span>
        <span>{claimWindowText(pool, t, i18n.language)}</span>
      </p>
      <BudgetBar pool={pool} compact />
    </li>
  );
}

export function PoolListPage() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const [filter, setFilter] = useState<StatusFilter>('all');
  useDocumentTitle(t('areas.pools.title'));
  const status: PoolStatus | undefined = filter === 'all' ? undefined : filter;
  const { state, reload } = useLoad(
    `pools:${filter}`,
    (signal) => poolsApi.list(status === undefined ? {} : { status }, signal),
    BUDGET_REFRESH_MS,
  );

  return (
    <>
      <div className="page-head">
        <h1>
          <Term k="areas.pools.title" />
        </h1>
        {session.has('issuer_manager') && (
          <Link to="/pools/new" className="button button-primary">
            {t('pools.new')}
          </Link>
        )}
      </div>
      <div className="toolbar">
        <SelectField
          id="pool-status-filter"
          label={t('pools.filterStatus')}
          value={filter}
          onChange={setFilter}
          options={STATUS_FILTERS.map((s) => ({ value: s, label: s === 'all' ? t('pools.allStatuses') : t(`poolStatus.${s}`) }))}
        />
        {state.status === 'ready' && (
          <p className="muted refresh-note">
            {t('pools.liveNote', { time: formatTime(state.refreshedAt, i18n.language), seconds: BUDGET_REFRESH_MS / 1000 })}
          </p>
        )}
      </div>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          {state.refreshError !== null && <ProblemAlert error={state.refreshError} onRetry={reload} />}
          {state.data.items.length === 0 ? (
            <p className="empty">{filter === 'all' ? t('pools.empty') : t('pools.emptyFiltered')}</p>
          ) : (
            <ul className="pool-list">
              {state.data.items.map((pool) => (
                <PoolCard key={pool.id} pool={pool} />
              ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}
