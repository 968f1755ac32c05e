/**
 * /pools/:id: one pool with its live budget, the lifecycle steps the current user may take
 * in its current status, its holder and merchant preview, and budget change requests.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router-dom';
import type { Pool } from '@hqt/shared';
import { formatDateTime, formatFen, parseYuan } from '../../app/format';
import { localName } from '../../app/names';
import { Person } from '../../app/Person';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { RadioGroup, TextField } from '../../app/fields';
import { useSession, type Session } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { BudgetBar } from './BudgetBar';
import { claimWindowText, poolValidityText, reversalText } from './describe';
import type { PoolFlash } from './PoolEditorPage';
import { BUDGET_REFRESH_MS } from './PoolListPage';
import { PoolPreview } from './PoolPreview';
import { poolsApi, type LifecycleStep } from './poolsApi';
import { PoolStatusBadge } from './StatusBadge';

const REASON_LENGTH_MAX = 1000;

/** Why the current user may not approve this pool, or null when they may. */
export function approveBlocker(pool: Pick<Pool, 'submittedBy'>, session: Session): 'ownSubmission' | 'notApprover' | null {
  if (pool.submittedBy !== null && pool.submittedBy === session.userId) return 'ownSubmission';
  if (!session.has('issuer_approver')) return 'notApprover';
  return null;
}

function RejectForm({ onReject, busy }: { onReject: (reason: string) => void; busy: boolean }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (reason.trim() !== '') onReject(reason.trim());
      }}
    >
      <TextField id="reject-reason" label={t('lifecycle.rejectReason')} multiline required maxLength={REASON_LENGTH_MAX} value={reason} onChange={setReason} />
      <button type="submit" className="button button-danger" disabled={busy || reason.trim() === ''}>
        {t('lifecycle.rejectConfirm')}
      </button>
    </form>
  );
}

export function LifecycleActions({ pool, onChanged }: { pool: Pool; onChanged: (pool: Pool) => void }) {
  const { t } = useTranslation();
  const session = useSession();
  const action = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [confirmClose, setConfirmClose] = useState(false);
  const isManager = session.has('issuer_manager');
  const canRun = session.has('issuer_manager', 'issuer_approver');
  const step = (name: LifecycleStep) =>
    void action.run(name, async () => {
      onChanged(await poolsApi.step(pool.id, name));
      setConfirmClose(false);
    });
  const blocker = approveBlocker(pool, session);
  const busy = action.busy !== null;

  const buttons: ReactNode[] = [];
  if (isManager && (pool.status === 'draft' || pool.status === 'rejected')) {
    buttons.push(
      <Link key="edit" to={`/pools/${pool.id}/edit`} className="button button-secondary">
        {t('lifecycle.edit')}
      </Link>,
    );
  }
  if (isManager && pool.status === 'draft') {
    buttons.push(
      <button key="submit" type="button" className="button button-primary" disabled={busy} onClick={() => step('submit')}>
        {t('lifecycle.submit')}
      </button>,
    );
  }
  if (pool.status === 'pending_approval' && session.has('issuer_approver', 'issuer_manager')) {
    buttons.push(
      <button key="approve" type="button" className="button button-primary" disabled={busy || blocker !== null} aria-describedby={blocker !== null ? 'approve-blocker' : undefined} onClick={() => step('approve')}>
        {t('lifecycle.approve')}
      </button>,
    );
    if (blocker === null) {
      buttons.push(
        <button key="reject" type="button" className="button button-secondary" aria-expanded={rejecting} disabled={busy} onClick={() => setRejecting(!rejecting)}>
          {t('lifecycle.reject')}
        </button>,
      );
    }
  }
  if (canRun && (pool.status === 'scheduled' || pool.status === 'open')) {
    buttons.push(
      <button key="pause" type="button" className="button button-secondary" disabled={busy} onClick={() => step('pause')}>
        {t('lifecycle.pause')}
      </button>,
    );
  }
  if (canRun && pool.status === 'paused') {
    buttons.push(
      <button key="resume" type="button" className="button button-primary" disabled={busy} onClick={() => step('resume')}>
        {t('lifecycle.resume')}
      </button>,
    );
  }
  if (canRun && ['scheduled', 'open', 'paused'].includes(pool.status)) {
    buttons.push(
      <button key="close" type="button" className="button button-secondary" aria-expanded={confirmClose} disabled={busy} onClick={() => setConfirmClose(!confirmClose)}>
        {t('lifecycle.close')}
      </button>,
    );
  }

  return (
    <section className="card" aria-labelledby="lifecycle-title">
      <h2 id="lifecycle-title">{t('lifecycle.title')}</h2>
      {buttons.length > 0 ? <div className="button-row">{buttons}</div> : <p className="muted">{t('lifecycle.nothing')}</p>}
      {pool.status === 'pending_approval' && blocker !== null && (
        <p id="approve-blocker" className="note" data-testid="approve-blocker">
          {t(`lifecycle.blocker.${blocker}`)}
        </p>
      )}
      {rejecting && blocker === null && (
        <RejectForm busy={busy} onReject={(reason) => void action.run('reject', async () => onChanged(await poolsApi.reject(pool.id, reason)))} />
      )}
      {confirmClose && (
        <div className="alert alert-warn">
          <p>{t('lifecycle.closeWarning')}</p>
          <button type="button" className="button button-danger" disabled={busy} onClick={() => step('close')}>
            {t('lifecycle.closeConfirm')}
          </button>
        </div>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </section>
  );
}

function BudgetChangeForm({ pool }: { pool: Pool }) {
  const { t } = useTranslation();
  const [direction, setDirection] = useState<'increase' | 'decrease'>('increase');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const fen = parseYuan(amount);
    if (fen === null || fen === 0) {
      setFieldError(amount.trim() === '' ? t('validation.required') : t('validation.money'));
      return;
    }
    setFieldError(undefined);
    const deltaFen = direction === 'increase' ? fen : -fen;
    void action.run('request', async () => {
      await poolsApi.requestBudgetChange(pool.id, deltaFen, reason.trim());
      setDone(t('budgetChange.requested', { delta: formatFen(deltaFen) }));
      setAmount('');
      setReason('');
    });
  };

  return (
    <section className="card" aria-labelledby="budget-change-title">
      <h2 id="budget-change-title">{t('budgetChange.title')}</h2>
      <p className="muted">{t('budgetChange.intro')}</p>
      <form onSubmit={onSubmit} noValidate>
        <RadioGroup
          id="budget-direction"
          name="budget-direction"
          legend={t('budgetChange.direction')}
          value={direction}
          onChange={setDirection}
          options={[
            { value: 'increase', label: t('budgetChange.increase') },
            { value: 'decrease', label: t('budgetChange.decrease') },
          ]}
        />
        <TextField id="budget-amount" label={t('budgetChange.amount')} required inputMode="decimal" prefix="¥" value={amount} error={fieldError} onChange={setAmount} />
        <TextField id="budget-reason" label={t('budgetChange.reason')} required multiline maxLength={REASON_LENGTH_MAX} value={reason} onChange={setReason} />
        {action.error !== null && <ProblemAlert error={action.error} />}
        {done !== null && (
          <p className="alert alert-success" role="status">
            {done}
          </p>
        )}
        <button type="submit" className="button button-primary" disabled={action.busy !== null || reason.trim() === ''}>
          {t('budgetChange.submit')}
        </button>
      </form>
    </section>
  );
}

function Facts({ pool }: { pool: Pool }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const rows: [string, ReactNode][] = [
    [t('facts.kind'), <Term key="k" k={`kinds.${pool.kind}`} />],
    [t('facts.audience'), t(`audiences.${pool.audience}`)],
    [t('facts.distribution'), t(`distributions.${pool.distribution}`)],
    [t('facts.window'), claimWindowText(pool, t, lang, true)],
    [t('facts.validity'), poolValidityText(pool, t, lang)],
    [t('facts.perHolder'), t('preview.perHolder', { n: pool.perHolderMax })],
    [t('facts.perHolderDaily'), pool.perHolderDailyMax === null ? t('common.none') : t('preview.perHolderDaily', { n: pool.perHolderDailyMax })],
    [t('facts.annualCap'), pool.annualCapFen === null ? t('common.none') : formatFen(pool.annualCapFen)],
    [t('facts.redemptionMode'), t(`redemptionModes.${pool.redemptionMode}`)],
    [t('facts.reversal'), reversalText(pool.reversalWindowMinutes, t)],
    [t('facts.confirmMode'), t(`confirmModes.${pool.confirmMode}`)],
    [t('facts.reissueUnused'), pool.reissueUnused ? t('common.yes') : t('common.no')],
    [t('facts.policyRef'), pool.policyRef ?? t('common.none')],
    [t('facts.createdBy'), <Person key="c" userId={pool.createdBy} name={pool.createdByName} />],
    [t('facts.submittedBy'), <Person key="s" userId={pool.submittedBy} name={pool.submittedByName} />],
    [t('facts.approvedBy'), <Person key="a" userId={pool.approvedBy} name={pool.approvedByName} />],
    [t('facts.updatedAt'), formatDateTime(pool.updatedAt, lang)],
  ];
  if (pool.lotterySeedHash !== null) rows.push([t('facts.seedHash'), <code key="h" className="break">{pool.lotterySeedHash}</code>]);
  return (
    <dl className="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function PoolDetailPage() {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const location = useLocation();
  const session = useSession();
  const flash = (location.state as PoolFlash | null)?.flash;
  const { state, reload } = useLoad(`pool:${id}`, (signal) => poolsApi.get(id, signal), BUDGET_REFRESH_MS);
  const [changed, setChanged] = useState<Pool | null>(null);
  const pool = changed !== null && state.status === 'ready' && changed.updatedAt >= state.data.updatedAt ? changed : state.status === 'ready' ? state.data : null;
  useDocumentTitle(pool === null ? t('areas.pools.title') : localName(i18n.language, pool.nameZh, pool.nameEn));

  return (
    <>
      <p className="breadcrumb">
        <Link to="/pools">{t('areas.pools.title')}</Link>
      </p>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {pool !== null && (
        <>
          <div className="page-head">
            <h1>{localName(i18n.language, pool.nameZh, pool.nameEn)}</h1>
            <span data-testid="pool-status">
              <PoolStatusBadge status={pool.status} />
            </span>
          </div>
          {flash !== undefined && (
            <p className={`alert ${flash === 'savedNotSubmitted' ? 'alert-warn' : 'alert-success'}`} role="status">
              {t(`flash.${flash}`)}
            </p>
          )}
          {pool.status === 'rejected' && pool.rejectReason !== null && (
            <div className="alert alert-warn">
              <p>{t('lifecycle.rejectedBecause', { reason: pool.rejectReason })}</p>
            </div>
          )}
          {pool.description !== null && pool.description !== '' && <p>{pool.description}</p>}
          <section className="card" aria-labelledby="budget-title">
            <h2 id="budget-title">{t('budget.title')}</h2>
            <BudgetBar pool={pool} />
          </section>
          <LifecycleActions pool={pool} onChanged={(next) => { setChanged(next); reload(); }} />
          <section className="card" aria-labelledby="facts-title">
            <h2 id="facts-title">{t('facts.title')}</h2>
            <Facts pool={pool} />
            <p className="link-row">
              <Link to={`/merchants?pool=${pool.id}`}>{t('pools.manageMerchants')}</Link>
              {pool.distribution === 'auto_grant' && <Link to={`/pools/${pool.id}/grants`}>{t('pools.grants')}</Link>}
              {pool.distribution === 'lottery' && <Link to={`/pools/${pool.id}/lottery`}>{t('pools.lottery')}</Link>}
            </p>
          </section>
          <section className="card" aria-labelledby="pool-preview-title">
            <h2 id="pool-preview-title">{t('preview.title')}</h2>
            <PoolPreview pool={pool} />
          </section>
          {session.has('issuer_manager') && ['scheduled', 'open', 'paused'].includes(pool.status) && <BudgetChangeForm pool={pool} />}
        </>
      )}
    </>
  );
}
