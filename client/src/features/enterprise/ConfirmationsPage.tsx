/**
 * /confirmations (enterprise): B2B redemptions a provider submitted against this
 * enterprise's vouchers, waiting for its confirmation — with the contract, the invoice and
 * the delivery proof to check. Confirm posts the amount; reject returns it to the voucher;
 * left alone, the hold is voided after 72 hours.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { Redemption } from '@hqt/shared';
import { TextField } from '../../app/fields';
import { formatDateTime, formatFen } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { redemptionsApi } from '../redemptions/redemptionsApi';
import { loadHolderContext, type HolderContext } from './holderContext';

const REFRESH_MS = 20_000;
const HOLD_HOURS = 72;
const HOUR_MS = 3_600_000;

async function loadPending(signal: AbortSignal): Promise<{ items: Redemption[]; context: HolderContext }> {
  const page = await redemptionsApi.list({ status: 'pending' }, signal);
  return { items: page.items, context: await loadHolderContext(page.items, signal) };
}

function Proof({ proof }: { proof: Redemption['deliveryProof'] }) {
  const { t } = useTranslation();
  const entries = Object.entries(proof ?? {});
  if (entries.length === 0) return <>{t('confirmations.noProof')}</>;
  return (
    <ul className="plain-list">
      {entries.map(([key, value]) => (
        <li key={key}>
          {t(`proofKeys.${key}` as 'proofKeys.note', { defaultValue: key })}
          {t('common.colon')}
          {String(value)}
        </li>
      ))}
    </ul>
  );
}

function PendingItem({ redemption, context, onDone }: { redemption: Redemption; context: HolderContext; onDone: (message: string) => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const action = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const voucher = context.vouchers.get(redemption.voucherId);
  const provider = context.merchants.get(redemption.merchantId);
  const providerName = provider === undefined ? t('confirmations.providerUnknown') : localName(lang, provider.nameZh, provider.nameEn);
  const deadlineMs = Date.parse(redemption.createdAt) + HOLD_HOURS * HOUR_MS;
  const hoursLeft = Math.max(0, Math.floor((deadlineMs - Date.now()) / HOUR_MS));
  const label = redemption.contractRef ?? redemption.orderRef;
  return (
    <li className="card queue-item" data-testid="pending-redemption">
      <div className="queue-head">
        <h3>{t('confirmations.itemTitle', { provider: providerName })}</h3>
        <span className="muted small">{voucher === undefined ? '' : localName(lang, voucher.poolNameZh, voucher.poolNameEn)}</span>
      </div>
      <dl className="facts facts-inline">
        <div>
          <dt>{t('scanner.contractRef')}</dt>
          <dd data-testid="pending-contract">{redemption.contractRef ?? t('common.none')}</dd>
        </div>
        <div>
          <dt>{t('scanner.invoiceNo')}</dt>
          <dd data-testid="pending-invoice">{redemption.invoiceNo ?? t('common.none')}</dd>
        </div>
        <div>
          <dt>{t('scanner.settleAmount')}</dt>
          <dd>{formatFen(redemption.orderAmountFen)}</dd>
        </div>
        <div>
          <dt>{t('confirmations.voucherPays')}</dt>
          <dd className="figure-strong" data-testid="pending-discount">{formatFen(redemption.discountFen)}</dd>
        </div>
        <div>
          <dt>{t('scanner.enterprisePays')}</dt>
          <dd>{formatFen(redemption.payFen)}</dd>
        </div>
        <div>
          <dt>{t('confirmations.voucher')}</dt>
          <dd>
            <code className="voucher-code">{redemption.voucherCode}</code>
            {voucher !== undefined && ` · ${t('confirmations.balanceAfter', { amount: formatFen(redemption.voucherBalanceAfterFen) })}`}
          </dd>
        </div>
        <div>
          <dt>{t('scanner.proofTitle')}</dt>
          <dd>
            <Proof proof={redemption.deliveryProof} />
          </dd>
        </div>
        <div>
          <dt>{t('confirmations.submittedAt')}</dt>
          <dd>
            {formatDateTime(redemption.createdAt, lang)} · {t('confirmations.deadline', { time: formatDateTime(deadlineMs, lang), hours: hoursLeft })}
          </dd>
        </div>
      </dl>
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={action.busy !== null}
          aria-label={t('confirmations.confirmNamed', { ref: label, amount: formatFen(redemption.discountFen) })}
          onClick={() => void action.run('confirm', async () => {
            await redemptionsApi.confirm(redemption.id);
            onDone(t('confirmations.confirmed', { ref: label, amount: formatFen(redemption.discountFen) }));
          })}
        >
          {t('confirmations.confirm')}
        </button>
        <button type="button" className="button button-secondary" aria-expanded={rejecting} disabled={action.busy !== null} onClick={() => setRejecting(!rejecting)}>
          {t('confirmations.reject')}
        </button>
      </div>
      {rejecting && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run('reject', async () => {
              await redemptionsApi.reject(redemption.id, reason.trim());
              onDone(t('confirmations.rejected', { ref: label }));
            });
          }}
        >
          <TextField id={`reject-${redemption.id}`} label={t('confirmations.rejectReason')} required multiline maxLength={1000} value={reason} onChange={setReason} />
          <button type="submit" className="button button-danger" disabled={reason.trim() === '' || action.busy !== null}>
            {t('confirmations.rejectConfirm')}
          </button>
        </form>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </li>
  );
}

export function ConfirmationsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('areas.confirmations.title'));
  const { state, reload } = useLoad('confirmations', loadPending, REFRESH_MS);
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <h1>
        <Term k="areas.confirmations.title" />
      </h1>
      <p className="muted">{t('confirmations.intro')}</p>
      {done !== null && (
        <p className="alert alert-success" role="status" data-testid="confirmation-done">
          {done} <Link to="/history">{t('confirmations.toHistory')}</Link>
        </p>
      )}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          {state.refreshError !== null && <ProblemAlert error={state.refreshError} onRetry={reload} />}
          {state.data.items.length === 0 ? (
            <p className="empty">{t('confirmations.empty')}</p>
          ) : (
            <ul className="queue">
              {state.data.items.map((r) => (
                <PendingItem
                  key={r.id}
                  redemption={r}
                  context={state.data.context}
                  onDone={(message) => {
                    setDone(message);
                    reload();
                  }}
                />
              ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}
