import { useTranslation } from 'react-i18next';
import type { RedemptionStatus } from '@hqt/shared';

export function RedemptionStatusBadge({ status }: { status: RedemptionStatus }) {
  const { t } = useTranslation();
  return (
    <span className={`status status-r-${status}`} data-testid="redemption-status">
      {t(`redemptionStatus.${status}`)}
    </span>
  );
}
