/**
 * /settlements (issuer roles) and /statements (merchant admins): settlement batches, newest
 * first, with their CSV statements; issuer approvers approve drafts and record payments.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Page, SettlementBatch, SettlementStatus } from '@hqt/shared';
import { AwaitingApi, isMissingEndpoint } from '../../app/AwaitingApi';
import { RadioGroup } from '../../app/fields';
import { formatFen } from '../../app/format';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useSession } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { SettlementCard } from './SettlementCard';
import { settlementApi } from './settlementApi';

type Filter = 'all' | SettlementStatus;
const FILTERS: readonly Filter[] = ['all', 'draft', 'approved', 'paid'];

function Totals({ page }: { page: Page<SettlementBatch> }) {
  const { t } = useTranslation();
  const payable = page.items.filter((b) => b.status !== 'paid').reduce((sum, b) => sum + b.amountFen, 0);
  const paid = page.items.filter((b) => b.status === 'paid').reduce((sum, b) => sum + b.amountFen, 0);
  return (
    <dl className="stat-grid">
      <div className="stat">
        <dt>{t('settlement.batches')}</dt>
        <dd>{page.items.length}</dd>
      </div>
      <div className="stat">
        <dt>{t('settlement.unpaidTotal')}</dt>
        <dd>{formatFen(payable)}</dd>
      </div>
      <div className="stat">
        <dt>{t('settlement.paidTotal')}</dt>
        <dd>{formatFen(paid)}</dd>
      </div>
    </dl>
  );
}

export function SettlementListPage({ area }: { area: 'settlement' | 'statements' }) {
  const { t } = useTranslation();
  const session = useSession();
  useDocumentTitle(t(`areas.${area}.title`));
  const [filter, setFilter] = useState<Filter>('all');
  const status = filter === 'all' ? undefined : filter;
  const { state, reload } = useLoad(`settlements:${filter}`, (signal) =>
    settlementApi.list(status === undefined ? {} : { status }, signal),
  );
  const cashierOnly = area === 'statements' && session.userId !== null && !session.has('merchant_admin');
  return (
    <div className={area === 'statements' ? 'mobile-page' : undefined}>
      <h1>
        <Term k={`areas.${area}.title`} />
      </h1>
      <p className="muted">{t(area === 'statements' ? 'settlement.merchantIntro' : 'settlement.intro')}</p>
      {cashierOnly ? (
        <p className="alert alert-info">{t('settlement.adminOnly')}</p>
      ) : (
        <>
          <RadioGroup id="settlement-filter" name="settlement-filter" legend={t('settlement.show')} value={filter} onChange={setFilter} options={FILTERS.map((f) => ({ value: f, label: f === 'all' ? t('settlement.all') : t(`settlementStatus.${f}`) }))} />
          {state.status === 'loading' && <Loading />}
          {state.status === 'error' &&
            (isMissingEndpoint(state.error) ? (
              <AwaitingApi what={t(`areas.${area}.title`)} endpoint="GET /api/v1/settlements" />
            ) : (
              <ProblemAlert error={state.error} onRetry={reload} />
            ))}
          {state.status === 'ready' && (
            <>
              <Totals page={state.data} />
              {state.data.items.length === 0 ? (
                <p className="empty">{t('settlement.empty')}</p>
              ) : (
                <ul className="queue">
                  {state.data.items.map((batch) => (
                    <SettlementCard key={batch.id} batch={batch} onChanged={reload} decide={area === 'settlement'} />
                  ))}
                </ul>
              )}
            </>
          )}
        </>
      )}
    </div>
  );
}
