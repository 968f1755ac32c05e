/** /wallet (enterprise): vouchers with balance, validity and the static signed QR code. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Voucher } from '@hqt/shared';
import { Loading } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { VoucherStatusBadge } from '../pools/StatusBadge';
import { WalletNetworkNote } from '../vouchers/OfflineNotice';
import { QrCode } from '../vouchers/QrCode';
import { useWallet } from '../vouchers/useWallet';
import { VoucherDetails, voucherValidity } from '../vouchers/VoucherDetails';
import { VoucherFace } from '../vouchers/VoucherFace';
import { ConfirmPending } from '../vouchers/ConfirmPending';

function WalletVoucher({ voucher, onChanged }: { voucher: Voucher; onChanged: () => void }) {
  const { t, i18n } = useTranslation();
  const [showQr, setShowQr] = useState(voucher.status === 'active');
  const token = voucher.qr.token;
  return (
    <li className="wallet-item" data-testid="wallet-voucher">
      <VoucherFace
        kind={voucher.kind}
        nameZh={voucher.poolNameZh}
        nameEn={voucher.poolNameEn}
        valueRule={voucher.valueRule}
        validity={voucherValidity(voucher, t, i18n.language)}
        headingLevel={2}
        badge={<VoucherStatusBadge status={voucher.status} />}
      />
      <VoucherDetails voucher={voucher} />
      {voucher.status === 'pending_confirmation' && <ConfirmPending voucher={voucher} onDone={onChanged} />}
      {voucher.status === 'active' && token !== undefined && (
        <div className="static-qr">
          <button type="button" className="button button-secondary" aria-expanded={showQr} onClick={() => setShowQr(!showQr)}>
            {showQr ? t('wallet.hideQr') : t('wallet.showQr')}
          </button>
          {showQr && (
            <div className="qr-box">
              <QrCode text={token} label={t('qr.staticLabel', { code: voucher.code })} size={200} />
              <p className="note small">{t('qr.staticHint')}</p>
              <p className="qr-token">
                <code data-testid="static-token">{token}</code>
              </p>
            </div>
          )}
        </div>
      )}
    </li>
  );
}

export function EnterpriseWalletPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('areas.wallet.title'));
  const wallet = useWallet();
  return (
    <>
      <h1>
        <Term k="areas.wallet.title" />
      </h1>
      <WalletNetworkNote offline={wallet.offline} error={wallet.error} savedAt={wallet.savedAt} hasData={wallet.data !== null} onRetry={wallet.reload} />
      {wallet.data === null && wallet.loading && <Loading />}
      {wallet.data !== null &&
        (wallet.data.length === 0 ? (
          <p className="empty">{t('wallet.empty')}</p>
        ) : (
          <ul className="wallet-list">
            {wallet.data.map((v) => (
              <WalletVoucher key={v.id} voucher={v} onChanged={wallet.reload} />
            ))}
          </ul>
        ))}
    </>
  );
}
