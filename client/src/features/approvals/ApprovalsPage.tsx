/**
 * /approvals: one queue for what waits on an approver — pools pending approval, budget
 * changes, applications (with their contract files) and settlement batches. Each item says
 * who submitted it; the approve button is disabled, with the reason beside it, when the
 * current user submitted the item (four eyes) or is no approver.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { Pool, SettlementBatch } from '@hqt/shared';
import { isMissingEndpoint } from '../../app/AwaitingApi';
import { merchantsApi, type Merchant } from '../merchants/merchantsApi';
import { settlementApi } from '../settlement/settlementApi';
import { applicationsApi, type ApplicationView } from '../applications/applicationsApi';
import { ApplicationItem } from './ApplicationItem';
import { SettlementQueue } from './SettlementQueue';
import { formatDateTime, formatFen } from '../../app/format';
import { localName } from '../../app/names';
import { Person } from '../../app/Person';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { TextField } from '../../app/fields';
import { useSession, type Session } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { approveBlocker } from '../pools/PoolDetailPage';
import { poolsApi, type BudgetChange } from '../pools/poolsApi';

const REFRESH_MS = 15_000;

export interface Queue {
  pendingPools: Pool[];
  changes: BudgetChange[];
  applications: ApplicationView[];
  /** null while the settlement API is not deployed */
  settlements: SettlementBatch[] | null;
  poolsById: Map<string, Pool>;
  merchantsById: Map<string, Merchant>;
}

async function settlementsToDecide(signal: AbortSignal): Promise<SettlementBatch[] | null> {
  try {
    return (await settlementApi.list({}, signal)).items.filter((b) => b.status !== 'paid');
  } catch (error) {
    if (isMissingEndpoint(error)) return null;
    throw error;
  }
}

async function loadQueue(signal: AbortSignal): Promise<Queue> {
  const [pending, all, changes, applications, settlements, merchants] = await Promise.all([
    poolsApi.list({ status: 'pending_approval' }, signal),
    poolsApi.list({}, signal),
    poolsApi.budgetChanges('pending', signal),
    applicationsApi.list({ status: 'pending' }, signal),
    settlementsToDecide(signal),
    merchantsApi.list({ status: 'active' }, signal),
  ]);
  return {
    pendingPools: pending.items,
    changes: changes.items,
    applications: applications.items,
    settlements,
    poolsById: new Map(all.items.map((p) => [p.id, p])),
    merchantsById: new Map(merchants.items.map((m) => [m.id, m])),
  };
}

function Blocker({ id, blocker }: { id: string; blocker: 'ownSubmission' | 'notApprover' | null }) {
  const { t } = useTranslation();
  if (blocker === null) return null;
  return (
    <p id={id} className="note" data-testid="approve-blocker">
      {t(`lifecycle.blocker.${blocker}`)}
    </p>
  );
}

function PoolItem({ pool, onDone }: { pool: Pool; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const action = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const blocker = approveBlocker(pool, session);
  const name = localName(i18n.language, pool.nameZh, pool.nameEn);
  const blockerId = `blocker-pool-${pool.id}`;
  return (
    <li className="card queue-item" data-testid="approval-pool">
      <div className="queue-head">
        <h3>
          <Link to={`/pools/${pool.id}`}>{name}</Link>
        </h3>
        <span className="muted">
          <Term k={`kinds.${pool.kind}`} />
        </span>
      </div>
      <dl className="facts facts-inline">
        <div>
          <dt>{t('approvals.submittedBy')}</dt>
          <dd data-testid="submitted-by">
            <Person userId={pool.submittedBy} name={pool.submittedByName} />
          </dd>
        </div>
        <div>
          <dt>{t('approvals.submittedAt')}</dt>
          <dd>{formatDateTime(pool.updatedAt, i18n.language)}</dd>
        </div>
        <div>
          <dt>{t('budget.budget')}</dt>
          <dd>{formatFen(pool.budgetFen)}</dd>
        </div>
        <div>
          <dt>{t('facts.distribution')}</dt>
          <dd>{t(`distributions.${pool.distribution}`)}</dd>
        </div>
      </dl>
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={blocker !== null || action.busy !== null}
          aria-describedby={blocker !== null ? blockerId : undefined}
          aria-label={t('approvals.approveNamed', { name })}
          onClick={() => void action.run('approve', async () => {
            await poolsApi.step(pool.id, 'approve');
            onDone();
          })}
        >
          {action.busy === 'approve' ? t('common.working') : t('lifecycle.approve')}
        </button>
        {blocker === null && (
          <button type="button" className="button button-secondary" aria-expanded={rejecting} onClick={() => setRejecting(!rejecting)}>
            {t('lifecycle.reject')}
          </button>
        )}
        <Link to={`/pools/${pool.id}`} className="button button-text">
          {t('approvals.viewPreview')}
        </Link>
      </div>
      <Blocker id={blockerId} blocker={blocker} />
      {rejecting && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run('reject', async () => {
              await poolsApi.reject(pool.id, reason.trim());
              onDone();
            });
          }}
        >
          <TextField id={`reject-${pool.id}`} label={t('lifecycle.rejectReason')} multiline required maxLength={1000} value={reason} onChange={setReason} />
          <button type="submit" className="button button-danger" disabled={reason.trim() === '' || action.busy !== null}>
            {t('lifecycle.rejectConfirm')}
          </button>
        </form>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </li>
  );
}

function changeBlocker(change: BudgetChange, session: Session): 'ownSubmission' | 'notApprover' | null {
  if (change.requestedBy === session.userId) return 'ownSubmission';
  if (!session.has('issuer_approver')) return 'notApprover';
  return null;
}

function ChangeItem({ change, pool, onDone }: { change: BudgetChange; pool: Pool | undefined; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const action = useAction();
  const blocker = changeBlocker(change, session);
  const blockerId = `blocker-change-${change.id}`;
  const decide = (approve: boolean) =>
    void action.run(approve ? 'approve' : 'reject', async () => {
      await poolsApi.decideBudgetChange(change.id, approve);
      onDone();
    });
  return (
    <li className="card queue-item" data-testid="approval-budget-change">
      <div className="queue-head">
        <h3>
          {pool !== undefined ? (
            <Link to={`/pools/${pool.id}`}>{localName(i18n.language, pool.nameZh, pool.nameEn)}</Link>
          ) : (
            localName(i18n.language, change.poolNameZh, change.poolNameEn)
          )}
        </h3>
        <span className={change.deltaFen > 0 ? 'delta-up' : 'delta-down'}>
          {change.deltaFen > 0 ? t('approvals.increaseBy', { amount: formatFen(change.deltaFen) }) : t('approvals.decreaseBy', { amount: formatFen(-change.deltaFen) })}
        </span>
      </div>
      <dl className="facts facts-inline">
        <div>
          <dt>{t('approvals.submittedBy')}</dt>
          <dd>
            <Person userId={change.requestedBy} name={change.requestedByName} />
          </dd>
        </div>
        <div>
          <dt>{t('approvals.submittedAt')}</dt>
          <dd>{formatDateTime(change.createdAt, i18n.language)}</dd>
        </div>
        <div>
          <dt>{t('budgetChange.reason')}</dt>
          <dd>{change.reason}</dd>
        </div>
        {pool !== undefined && (
          <div>
            <dt>{t('approvals.budgetNow')}</dt>
            <dd>{t('approvals.budgetAfter', { now: formatFen(pool.budgetFen), after: formatFen(pool.budgetFen + change.deltaFen) })}</dd>
          </div>
        )}
      </dl>
      <div className="button-row">
        <button type="button" className="button button-primary" disabled={blocker !== null || action.busy !== null} aria-describedby={blocker !== null ? blockerId : undefined} onClick={() => decide(true)}>
          {t('lifecycle.approve')}
        </button>
        <button type="button" className="button button-secondary" disabled={blocker !== null || action.busy !== null} aria-describedby={blocker !== null ? blockerId : undefined} onClick={() => decide(false)}>
          {t('lifecycle.reject')}
        </button>
      </div>
      <Blocker id={blockerId} blocker={blocker} />
      {action.error !== null && <ProblemAlert error={action.error} />}
    </li>
  );
}

export function ApprovalsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('areas.approvals.title'));
  const { state, reload } = useLoad('approvals', loadQueue, REFRESH_MS);
  return (
    <>
      <h1>
        <Term k="areas.approvals.title" />
      </h1>
      <p className="muted">{t('approvals.intro')}</p>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          {state.refreshError !== null && <ProblemAlert error={state.refreshError} onRetry={reload} />}
          <section aria-labelledby="queue-pools">
            <h2 id="queue-pools">{t('approvals.pools', { n: state.data.pendingPools.length })}</h2>
            {state.data.pendingPools.length === 0 ? (
              <p className="empty">{t('approvals.noPools')}</p>
            ) : (
              <ul className="queue">
                {state.data.pendingPools.map((pool) => (
                  <PoolItem key={pool.id} pool={pool} onDone={reload} />
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="queue-changes">
            <h2 id="queue-changes">{t('approvals.budgetChanges', { n: state.data.changes.length })}</h2>
            {state.data.changes.length === 0 ? (
              <p className="empty">{t('approvals.noChanges')}</p>
            ) : (
              <ul className="queue">
                {state.data.changes.map((change) => (
                  <ChangeItem key={change.id} change={change} pool={state.data.poolsById.get(change.poolId)} onDone={reload} />
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="queue-applications">
            <h2 id="queue-applications">{t('approvals.applications', { n: state.data.applications.length })}</h2>
            {state.data.applications.length === 0 ? (
              <p className="empty">{t('approvals.noApplications')}</p>
            ) : (
              <ul className="queue">
                {state.data.applications.map((application) => (
                  <ApplicationItem key={application.id} application={application} queue={state.data} onDone={reload} />
                ))}
              </ul>
            )}
          </section>
          <SettlementQueue settlements={state.data.settlements} onDone={reload} />
        </>
      )}
    </>
  );
}
