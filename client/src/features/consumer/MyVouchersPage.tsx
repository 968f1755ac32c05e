/** /my-vouchers (consumer): the wallet; works offline from the saved copy. */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { Loading } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { VoucherStatusBadge } from '../pools/StatusBadge';
import { WalletNetworkNote } from '../vouchers/OfflineNotice';
import { useWallet } from '../vouchers/useWallet';
import { voucherValidity } from '../vouchers/VoucherDetails';
import { VoucherFace } from '../vouchers/VoucherFace';

export function MyVouchersPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('areas.vouchers.title'));
  const wallet = useWallet();
  return (
    <div className="mobile-page">
      <h1>
        <Term k="areas.vouchers.title" />
      </h1>
      <WalletNetworkNote offline={wallet.offline} error={wallet.error} savedAt={wallet.savedAt} hasData={wallet.data !== null} onRetry={wallet.reload} />
      {wallet.data === null && wallet.loading && <Loading />}
      {wallet.data !== null &&
        (wallet.data.length === 0 ? (
          <p className="empty">
            {t('wallet.empty')} <Link to="/rounds">{t('consumer.toRounds')}</Link>
          </p>
        ) : (
          <ul className="wallet-list">
            {wallet.data.map((v) => (
              <li key={v.id} className="wallet-item" data-testid="wallet-voucher">
                <Link to={`/my-vouchers/${v.id}`} className="voucher-link" aria-label={t('wallet.open', { code: v.code })}>
                  <VoucherFace
                    kind={v.kind}
                    nameZh={v.poolNameZh}
                    nameEn={v.poolNameEn}
                    valueRule={v.valueRule}
                    validity={voucherValidity(v, t, i18n.language)}
                    headingLevel={2}
                    badge={<VoucherStatusBadge status={v.status} />}
                  >
                    {v.status === 'active' && <span className="voucher-cta">{t('wallet.showCode')}</span>}
                  </VoucherFace>
                </Link>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}
