/**
 * /my-vouchers/:id (consumer): the voucher and its dynamic QR code, computed on the phone
 * from the voucher's key every 30 s; renders from the saved copy when offline.
 */
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router-dom';
import { Loading } from '../../app/ProblemAlert';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { localName } from '../../app/names';
import { VoucherStatusBadge } from '../pools/StatusBadge';
import { ConfirmPending } from '../vouchers/ConfirmPending';
import { DynamicQr } from '../vouchers/DynamicQr';
import { WalletNetworkNote } from '../vouchers/OfflineNotice';
import { QrCode } from '../vouchers/QrCode';
import { useWalletVoucher } from '../vouchers/useWallet';
import { VoucherDetails, voucherValidity } from '../vouchers/VoucherDetails';
import { VoucherFace } from '../vouchers/VoucherFace';

export function VoucherPage() {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const location = useLocation();
  const justClaimed = (location.state as { claimed?: boolean } | null)?.claimed === true;
  const wallet = useWalletVoucher(id);
  const voucher = wallet.data;
  useDocumentTitle(voucher === null ? t('areas.vouchers.title') : localName(i18n.language, voucher.poolNameZh, voucher.poolNameEn));

  return (
    <div className="mobile-page">
      <p className="breadcrumb">
        <Link to="/my-vouchers">{t('areas.vouchers.title')}</Link>
      </p>
      {justClaimed && (
        <p className="alert alert-success" role="status">
          {t('consumer.claimed')}
        </p>
      )}
      <WalletNetworkNote offline={wallet.offline} error={wallet.error} savedAt={wallet.savedAt} hasData={voucher !== null} onRetry={wallet.reload} />
      {voucher === null && wallet.loading && <Loading />}
      {voucher !== null && (
        <>
          <VoucherFace
            kind={voucher.kind}
            nameZh={voucher.poolNameZh}
            nameEn={voucher.poolNameEn}
            valueRule={voucher.valueRule}
            validity={voucherValidity(voucher, t, i18n.language)}
            badge={<VoucherStatusBadge status={voucher.status} />}
          />
          {voucher.status === 'active' ? (
            <section className="card qr-card" aria-labelledby="qr-title">
              <h2 id="qr-title">{t('qr.title')}</h2>
              <p className="muted small">{t('qr.hint')}</p>
              {voucher.qr.key !== undefined ? (
                <DynamicQr code={voucher.code} qrKey={voucher.qr.key} />
              ) : voucher.qr.token !== undefined ? (
                <QrCode text={voucher.qr.token} label={t('qr.staticLabel', { code: voucher.code })} />
              ) : (
                <p className="note">{t('qr.notHolder')}</p>
              )}
            </section>
          ) : voucher.status === 'pending_confirmation' ? (
            <ConfirmPending voucher={voucher} onDone={wallet.reload} />
          ) : (
            <p className="note">{t(`wallet.inactive.${voucher.status}`)}</p>
          )}
          <section className="card" aria-labelledby="details-title">
            <h2 id="details-title">{t('voucher.details')}</h2>
            <VoucherDetails voucher={voucher} />
            {voucher.source === 'lottery' && (
              <p>
                <Link to={`/lottery/${voucher.poolId}`}>{t('lottery.result')}</Link>
              </p>
            )}
          </section>
        </>
      )}
    </div>
  );
}
