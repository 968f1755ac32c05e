import { useTranslation } from 'react-i18next';
import type { PoolStatus, VoucherStatus } from '@hqt/shared';

export function PoolStatusBadge({ status }: { status: PoolStatus }) {
  const { t } = useTranslation();
  return <span className={`status status-${status}`}>{t(`poolStatus.${status}`)}</span>;
}

export function VoucherStatusBadge({ status }: { status: VoucherStatus }) {
  const { t } = useTranslation();
  return <span className={`status status-v-${status}`}>{t(`voucherStatus.${status}`)}</span>;
}
