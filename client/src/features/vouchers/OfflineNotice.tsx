import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../app/format';
import { ProblemAlert } from '../../app/ProblemAlert';

/** Says the wallet shows its saved copy, and since when; other failures are shown as problems. */
export function WalletNetworkNote({ offline, error, savedAt, hasData, onRetry }: { offline: boolean; error: unknown; savedAt: string | null; hasData: boolean; onRetry: () => void }) {
  const { t, i18n } = useTranslation();
  if (error === null) return null;
  if (offline && hasData) {
    return (
      <p className="alert alert-info" role="status" data-testid="offline-note">
        {t('wallet.offline', { time: savedAt === null ? '—' : formatDateTime(savedAt, i18n.language) })}
      </p>
    );
  }
  return <ProblemAlert error={error} onRetry={onRetry} />;
}
