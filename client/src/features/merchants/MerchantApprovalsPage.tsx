/** /admin/merchant-approvals: the platform admin approves or rejects registered merchants. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { categoryName, districtName, joinList, localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { RadioGroup } from '../../app/fields';
import { useSession } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { merchantsApi, type Merchant, type MerchantStatus } from './merchantsApi';

const STATUSES: MerchantStatus[] = ['pending', 'active', 'rejected', 'suspended'];

function MerchantItem({ merchant, onDone }: { merchant: Merchant; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const action = useAction();
  const name = localName(lang, merchant.nameZh, merchant.nameEn);
  const decide = (approve: boolean) =>
    void action.run(approve ? 'approve' : 'reject', async () => {
      await merchantsApi.decide(merchant.id, approve);
      onDone();
    });
  return (
    <li className="card queue-item">
      <h3>{name}</h3>
      <dl className="facts facts-inline">
        <div>
          <dt>{t('merchantApprovals.uscc')}</dt>
          <dd>
            <code>{merchant.uscc}</code>
          </dd>
        </div>
        <div>
          <dt>{t('merchants.district')}</dt>
          <dd>{merchant.district === null ? t('common.none') : districtName(merchant.district, lang)}</dd>
        </div>
        <div>
          <dt>{t('merchants.category')}</dt>
          <dd>{merchant.categories.length === 0 ? t('common.none') : joinList(merchant.categories.map((c) => categoryName(c, lang)), lang)}</dd>
        </div>
        <div>
          <dt>{t('merchantApprovals.status')}</dt>
          <dd>{t(`merchantStatus.${merchant.status}`)}</dd>
        </div>
      </dl>
      <div className="button-row">
        {merchant.status !== 'active' && (
          <button type="button" className="button button-primary" disabled={action.busy !== null} aria-label={t('merchantApprovals.approveNamed', { name })} onClick={() => decide(true)}>
            {t('lifecycle.approve')}
          </button>
        )}
        {merchant.status === 'pending' && (
          <button type="button" className="button button-secondary" disabled={action.busy !== null} aria-label={t('merchantApprovals.rejectNamed', { name })} onClick={() => decide(false)}>
            {t('lifecycle.reject')}
          </button>
        )}
      </div>
      {action.error !== null && <ProblemAlert error={action.error} />}
    </li>
  );
}

export function MerchantApprovalsPage() {
  const { t } = useTranslation();
  const session = useSession();
  const [status, setStatus] = useState<MerchantStatus>('pending');
  useDocumentTitle(t('areas.merchantApprovals.title'));
  const { state, reload } = useLoad(`merchants:${status}`, (signal) => merchantsApi.list({ status }, signal));
  return (
    <>
      <h1>
        <Term k="areas.merchantApprovals.title" />
      </h1>
      {session.userId !== null && !session.has('platform_admin') ? (
        <p className="alert alert-info">{t('merchantApprovals.adminOnly')}</p>
      ) : (
        <>
          <RadioGroup id="merchant-status" name="merchant-status" legend={t('merchantApprovals.show')} value={status} onChange={setStatus} options={STATUSES.map((s) => ({ value: s, label: t(`merchantStatus.${s}`) }))} />
          {state.status === 'loading' && <Loading />}
          {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
          {state.status === 'ready' &&
            (state.data.items.length === 0 ? (
              <p className="empty">{t('merchantApprovals.empty', { status: t(`merchantStatus.${status}`) })}</p>
            ) : (
              <ul className="queue">
                {state.data.items.map((m) => (
                  <MerchantItem key={m.id} merchant={m} onDone={reload} />
                ))}
              </ul>
            ))}
        </>
      )}
    </>
  );
}
