/**
 * An application (申请) in the approval queue: the contract, its amount, the provider, what
 * the voucher would be, the files, and who submitted it. Approving grants the voucher;
 * rejecting needs a reason. Nobody decides an application of their own enterprise.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { TextField } from '../../app/fields';
import { formatDateTime, formatFen } from '../../app/format';
import { localName } from '../../app/names';
import { Person } from '../../app/Person';
import { ProblemAlert } from '../../app/ProblemAlert';
import { useAuth } from '../../app/AuthContext';
import { useSession } from '../../app/session';
import { Term } from '../../app/Term';
import { useAction } from '../../app/useLoad';
import { expectedGrantFen } from '../applications/ApplyPage';
import { applicationsApi, type ApplicationView } from '../applications/applicationsApi';
import { AttachmentLinks } from '../applications/AttachmentLinks';
import type { Queue } from './ApprovalsPage';

const SHORT_ID_LENGTH = 8;

function useApplicationBlocker(application: ApplicationView): 'ownSubmission' | 'notApprover' | null {
  const session = useSession();
  const { me } = useAuth();
  const ownEnterprise = me.status === 'ready' && me.me.memberships.some((m) => m.role === 'enterprise' && m.orgId === application.applicantId);
  if (ownEnterprise || (application.submittedBy !== undefined && application.submittedBy === session.userId)) return 'ownSubmission';
  if (!session.has('issuer_approver')) return 'notApprover';
  return null;
}

export function ApplicationItem({ application, queue, onDone }: { application: ApplicationView; queue: Queue; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const action = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const blocker = useApplicationBlocker(application);
  const blockerId = `blocker-application-${application.id}`;
  const pool = queue.poolsById.get(application.poolId);
  const provider = queue.merchantsById.get(application.providerId);
  const poolName = pool !== undefined ? localName(lang, pool.nameZh, pool.nameEn) : (application.poolNameZh ?? t('common.none'));
  const applicant = application.applicantNameZh ?? t('applications.enterpriseId', { id: application.applicantId.slice(0, SHORT_ID_LENGTH) });
  const expected = pool !== undefined ? expectedGrantFen(pool, application.contractAmountFen) : null;
  return (
    <li className="card queue-item" data-testid="approval-application">
      <div className="queue-head">
        <h3>
          {t('approvals.applicationTitle', { applicant, ref: application.contractRef })}
        </h3>
        <span className="muted">
          {pool !== undefined ? (
            <>
              <Term k={`kinds.${pool.kind}`} /> · <Link to={`/pools/${pool.id}`}>{poolName}</Link>
            </>
          ) : (
            poolName
          )}
        </span>
      </div>
      <dl className="facts facts-inline">
        <div>
          <dt>{t('approvals.submittedBy')}</dt>
          <dd data-testid="submitted-by">
            {application.submittedBy !== undefined ? <Person userId={application.submittedBy} name={application.submittedByName} /> : applicant}
          </dd>
        </div>
        <div>
          <dt>{t('approvals.submittedAt')}</dt>
          <dd>{formatDateTime(application.createdAt, lang)}</dd>
        </div>
        <div>
          <dt>{t('apply.contractAmount')}</dt>
          <dd>{formatFen(application.contractAmountFen)}</dd>
        </div>
        {expected !== null && (
          <div>
            <dt>{t('approvals.wouldGrant')}</dt>
            <dd className="figure-strong">{formatFen(expected)}</dd>
          </div>
        )}
        <div>
          <dt>{t('apply.provider')}</dt>
          <dd>{provider !== undefined ? localName(lang, provider.nameZh, provider.nameEn) : (application.providerNameZh ?? application.providerId.slice(0, SHORT_ID_LENGTH))}</dd>
        </div>
        {application.note !== null && application.note !== '' && (
          <div>
            <dt>{t('apply.note')}</dt>
            <dd>{application.note}</dd>
          </div>
        )}
        <div className="facts-wide">
          <dt>{t('apply.attachments')}</dt>
          <dd>
            <AttachmentLinks applicationId={application.id} attachments={application.attachments} />
          </dd>
        </div>
      </dl>
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={blocker !== null || action.busy !== null}
          aria-describedby={blocker !== null ? blockerId : undefined}
          aria-label={t('approvals.grantNamed', { ref: application.contractRef })}
          onClick={() => void action.run('approve', async () => {
            await applicationsApi.approve(application.id);
            onDone();
          })}
        >
          {action.busy === 'approve' ? t('common.working') : t('approvals.grant')}
        </button>
        {blocker === null && (
          <button type="button" className="button button-secondary" aria-expanded={rejecting} onClick={() => setRejecting(!rejecting)}>
            {t('lifecycle.reject')}
          </button>
        )}
      </div>
      {blocker !== null && (
        <p id={blockerId} className="note" data-testid="approve-blocker">
          {t(blocker === 'ownSubmission' ? 'approvals.ownApplication' : 'lifecycle.blocker.notApprover')}
        </p>
      )}
      {rejecting && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run('reject', async () => {
              await applicationsApi.reject(application.id, reason.trim());
              onDone();
            });
          }}
        >
          <TextField id={`reject-application-${application.id}`} label={t('lifecycle.rejectReason')} multiline required maxLength={1000} value={reason} onChange={setReason} />
          <button type="submit" className="button button-danger" disabled={reason.trim() === '' || action.busy !== null}>
            {t('lifecycle.rejectConfirm')}
          </button>
        </form>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </li>
  );
}
