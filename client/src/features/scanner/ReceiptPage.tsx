/**
 * /receipts/:id (merchant): the receipt of one redemption — what the voucher took off, what
 * the customer paid, the balance left — with reversal while the pool's window is open.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router-dom';
import type { Pool, Redemption } from '@hqt/shared';
import { formatDateTime, formatFen } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { poolsApi } from '../pools/poolsApi';
import { redemptionsApi } from '../redemptions/redemptionsApi';
import { RedemptionStatusBadge } from '../redemptions/RedemptionStatusBadge';
import { ReverseButton } from '../redemptions/ReverseButton';
import { reversalDeadline, reversible } from '../redemptions/reversal';
import type { ReceiptState } from './RedeemStep';

interface Loaded {
  redemption: Redemption;
  pool: Pool | null;
}

async function loadReceipt(id: string, signal: AbortSignal): Promise<Loaded> {
  const redemption = await redemptionsApi.get(id, signal);
  const pool = await poolsApi.get(redemption.poolId, signal).catch(() => null);
  return { redemption, pool };
}

function Headline({ redemption, fresh }: { redemption: Redemption; fresh: boolean }) {
  const { t } = useTranslation();
  const key =
    redemption.status === 'posted' ? (fresh ? 'receipt.doneNow' : 'receipt.done') : `receipt.status.${redemption.status}`;
  return (
    <p className={`receipt-headline receipt-${redemption.status}`} role={fresh ? 'status' : undefined} data-testid="receipt-headline">
      {t(key as 'receipt.done')}
    </p>
  );
}

export function Receipt({ redemption, pool }: Loaded) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const b2b = redemption.mode === 'confirm';
  const deadline = reversalDeadline(redemption, pool);
  const proof = Object.entries(redemption.deliveryProof ?? {});
  return (
    <dl className="figures receipt-figures" data-testid="receipt">
      <div>
        <dt>{t('receipt.pool')}</dt>
        <dd>{pool === null ? t('common.none') : localName(lang, pool.nameZh, pool.nameEn)}</dd>
      </div>
      <div>
        <dt>{t('voucher.code')}</dt>
        <dd>
          <code className="voucher-code">{redemption.voucherCode}</code>
        </dd>
      </div>
      <div>
        <dt>{b2b ? t('scanner.settleAmount') : t('scanner.orderAmount')}</dt>
        <dd>{formatFen(redemption.orderAmountFen)}</dd>
      </div>
      <div className="figure-discount">
        <dt>{t('scanner.discount')}</dt>
        <dd data-testid="receipt-discount">−{formatFen(redemption.discountFen)}</dd>
      </div>
      <div className="figure-pay">
        <dt>{b2b ? t('scanner.enterprisePays') : t('scanner.customerPays')}</dt>
        <dd data-testid="receipt-pay">{formatFen(redemption.payFen)}</dd>
      </div>
      <div>
        <dt>{t('receipt.balanceAfter')}</dt>
        <dd>{formatFen(redemption.voucherBalanceAfterFen)}</dd>
      </div>
      <div>
        <dt>{t('receipt.orderRef')}</dt>
        <dd>
          <code>{redemption.orderRef}</code>
        </dd>
      </div>
      <div>
        <dt>{t('receipt.time')}</dt>
        <dd>{formatDateTime(redemption.postedAt ?? redemption.createdAt, lang)}</dd>
      </div>
      {b2b && (
        <>
          <div>
            <dt>{t('scanner.contractRef')}</dt>
            <dd>{redemption.contractRef ?? t('common.none')}</dd>
          </div>
          <div>
            <dt>{t('scanner.invoiceNo')}</dt>
            <dd>{redemption.invoiceNo ?? t('common.none')}</dd>
          </div>
          {proof.map(([key, value]) => (
            <div key={key}>
              <dt>{t(`proofKeys.${key}` as 'proofKeys.note', { defaultValue: key })}</dt>
              <dd>{String(value)}</dd>
            </div>
          ))}
        </>
      )}
      {redemption.status === 'posted' && !b2b && deadline !== null && (
        <div>
          <dt>{t('receipt.reversibleUntil')}</dt>
          <dd>{formatDateTime(deadline, lang)}</dd>
        </div>
      )}
      {redemption.reversal !== null && (
        <div>
          <dt>{t('receipt.reversedAt')}</dt>
          <dd>
            {formatDateTime(redemption.reversal.createdAt, lang)}
            {redemption.reversal.reason !== null && ` · ${redemption.reversal.reason}`}
          </dd>
        </div>
      )}
      {redemption.decisionReason !== null && (
        <div>
          <dt>{t('receipt.decisionReason')}</dt>
          <dd>{redemption.decisionReason}</dd>
        </div>
      )}
    </dl>
  );
}

export function ReceiptPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const location = useLocation();
  const fresh = (location.state as ReceiptState | null)?.fresh === true;
  useDocumentTitle(t('receipt.title'));
  const { state, reload } = useLoad(`receipt:${id}`, (signal) => loadReceipt(id, signal));
  const [reversed, setReversed] = useState<Redemption | null>(null);
  const loaded = state.status === 'ready' ? { ...state.data, redemption: reversed ?? state.data.redemption } : null;
  return (
    <div className="mobile-page">
      <p className="breadcrumb">
        <Link to="/today">{t('areas.today.title')}</Link>
      </p>
      <h1>{t('receipt.title')}</h1>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {loaded !== null && (
        <section className="card receipt" aria-labelledby="receipt-status">
          <div className="page-head" id="receipt-status">
            <Headline redemption={loaded.redemption} fresh={fresh && reversed === null} />
            <RedemptionStatusBadge status={loaded.redemption.status} />
          </div>
          <Receipt {...loaded} />
          <div className="button-row no-print">
            <Link to="/scanner" className="button button-primary">
              {t('receipt.next')}
            </Link>
            <button type="button" className="button button-secondary" onClick={() => window.print()}>
              {t('receipt.print')}
            </button>
          </div>
          {reversible(loaded.redemption, loaded.pool, Date.now()) && (
            <div className="no-print">
              <ReverseButton redemption={loaded.redemption} onReversed={setReversed} />
            </div>
          )}
        </section>
      )}
    </div>
  );
}
