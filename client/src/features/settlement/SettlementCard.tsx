/**
 * One settlement batch: whom the issuer owes (or who owes it), for which business day, the
 * totals, where it stands (draft → approved → paid) and its CSV statement. Approvers approve
 * a draft (never one they created: four eyes) and record the payment of an approved batch.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { markPaidBody, type SettlementBatch } from '@hqt/shared';
import { DownloadButton } from '../../app/DownloadButton';
import { TextField } from '../../app/fields';
import { formatDate, formatDateTime, formatFen } from '../../app/format';
import { Person } from '../../app/Person';
import { ProblemAlert } from '../../app/ProblemAlert';
import { useSession, type Session } from '../../app/session';
import { useAction } from '../../app/useLoad';
import { validateWith } from '../../app/validateWith';
import { settlementApi } from './settlementApi';

function SettlementStatusBadge({ status }: { status: SettlementBatch['status'] }) {
  const { t } = useTranslation();
  return <span className={`status status-s-${status}`}>{t(`settlementStatus.${status}`)}</span>;
}

function settlementBlocker(batch: SettlementBatch, session: Session): 'ownSubmission' | 'notApprover' | null {
  if (batch.createdBy !== null && batch.createdBy === session.userId) return 'ownSubmission';
  if (!session.has('issuer_approver')) return 'notApprover';
  return null;
}

/** The payment record of an approved batch: the bank transfer's reference (流水号). */
function MarkPaidForm({ batch, onDone }: { batch: SettlementBatch; onDone: () => void }) {
  const { t } = useTranslation();
  const action = useAction();
  const [reference, setReference] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { paymentRef: reference.trim() };
    const found = validateWith(markPaidBody, body, t);
    if (found.paymentRef !== undefined) {
      setError(reference.trim() === '' ? t('validation.required') : t('settlement.paymentRefInvalid'));
      return;
    }
    setError(undefined);
    void action.run('paid', async () => {
      await settlementApi.markPaid(batch.id, body.paymentRef);
      onDone();
    });
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <TextField id={`payment-ref-${batch.id}`} label={t('settlement.paymentRef')} hint={t('settlement.paymentRefHint')} required maxLength={64} value={reference} error={error} onChange={setReference} />
      <button type="submit" className="button button-primary" disabled={action.busy !== null}>
        {t('settlement.markPaidConfirm')}
      </button>
      {action.error !== null && <ProblemAlert error={action.error} />}
    </form>
  );
}

export function SettlementCard({ batch, onChanged, decide }: { batch: SettlementBatch; onChanged: () => void; decide: boolean }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const session = useSession();
  const action = useAction();
  const [paying, setPaying] = useState(false);
  const blocker = settlementBlocker(batch, session);
  const blockerId = `blocker-settlement-${batch.id}`;
  return (
    <li className="card queue-item" data-testid="settlement-batch">
      <div className="queue-head">
        <h3>{batch.merchantNameZh}</h3>
        <SettlementStatusBadge status={batch.status} />
      </div>
      <p className="muted small">
        {t('settlement.dayLine', { day: formatDate(`${batch.businessDay}T12:00:00+08:00`, lang), cutoff: formatDateTime(batch.cutoffAt, lang) })}
        {batch.funderNameZh !== null && ` · ${t('settlement.funder', { name: batch.funderNameZh })}`}
        {' · '}
        {batch.issuerNameZh}
      </p>
      <dl className="facts facts-inline">
        <div>
          <dt>{t('settlement.amount')}</dt>
          <dd className="figure-strong" data-testid="settlement-amount">{formatFen(batch.amountFen)}</dd>
        </div>
        <div>
          <dt>{t('settlement.redeemed')}</dt>
          <dd>{t('settlement.countAmount', { n: batch.redemptionCount, amount: formatFen(batch.redeemedFen) })}</dd>
        </div>
        <div>
          <dt>{t('settlement.reversed')}</dt>
          <dd>{t('settlement.countAmount', { n: batch.reversalCount, amount: formatFen(batch.reversedFen) })}</dd>
        </div>
        <div>
          <dt>{t('approvals.submittedBy')}</dt>
          <dd>{batch.createdBy === null ? t('settlement.byJob') : <Person userId={batch.createdBy} />}</dd>
        </div>
        {batch.approvedBy !== null && (
          <div>
            <dt>{t('facts.approvedBy')}</dt>
            <dd>
              <Person userId={batch.approvedBy} /> · {batch.approvedAt === null ? '' : formatDateTime(batch.approvedAt, lang)}
            </dd>
          </div>
        )}
        {batch.paidAt !== null && (
          <div>
            <dt>{t('settlement.paid')}</dt>
            <dd>
              {formatDateTime(batch.paidAt, lang)} · <code>{batch.paymentRef}</code>
            </dd>
          </div>
        )}
      </dl>
      <div className="button-row">
        {decide && batch.status === 'draft' && (
          <button
            type="button"
            className="button button-primary"
            disabled={blocker !== null || action.busy !== null}
            aria-describedby={blocker !== null ? blockerId : undefined}
            onClick={() => void action.run('approve', async () => {
              await settlementApi.approve(batch.id);
              onChanged();
            })}
          >
            {t('lifecycle.approve')}
          </button>
        )}
        {decide && batch.status === 'approved' && blocker !== 'notApprover' && (
          <button type="button" className="button button-primary" aria-expanded={paying} onClick={() => setPaying(!paying)}>
            {t('settlement.markPaid')}
          </button>
        )}
        <DownloadButton path={settlementApi.statementPath(batch.id)} fileName={`statement-${batch.businessDay}-${batch.id.slice(0, 8)}.csv`} label={t('settlement.downloadNamed', { name: batch.merchantNameZh, day: batch.businessDay })}>
          {t('settlement.download')}
        </DownloadButton>
      </div>
      {paying && batch.status === 'approved' && <MarkPaidForm batch={batch} onDone={onChanged} />}
      {decide && batch.status === 'draft' && blocker !== null && (
        <p id={blockerId} className="note" data-testid="approve-blocker">
          {t(`lifecycle.blocker.${blocker}`)}
        </p>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </li>
  );
}
