/** /scanner (merchant cashier, mobile-first): scan a voucher, enter the order, preview, confirm. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { RedeemStep } from './RedeemStep';
import { ScanStep, type Scanned } from './ScanStep';

export function ScannerPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('areas.scanner.title'));
  const [scanned, setScanned] = useState<Scanned | null>(null);
  return (
    <div className="mobile-page">
      <div className="page-head">
        <h1>
          <Term k="areas.scanner.title" />
        </h1>
        <Link to="/today" className="button button-text">
          {t('areas.today.title')}
        </Link>
      </div>
      <ol className="steps" aria-label={t('scanner.stepsLabel')}>
        <li aria-current={scanned === null ? 'step' : undefined}>{t('scanner.step1')}</li>
        <li aria-current={scanned !== null ? 'step' : undefined}>{t('scanner.step2')}</li>
        <li>{t('scanner.step3')}</li>
      </ol>
      {scanned === null ? (
        <>
          <p className="muted">{t('scanner.intro')}</p>
          <ScanStep onScanned={setScanned} />
        </>
      ) : (
        <RedeemStep key={scanned.token} scanned={scanned} onRescan={() => setScanned(null)} />
      )}
    </div>
  );
}
