/** 意愿确认: a granted voucher waits until its holder accepts it in one click. */
import { useTranslation } from 'react-i18next';
import type { Voucher } from '@hqt/shared';
import { ProblemAlert } from '../../app/ProblemAlert';
import { useAction } from '../../app/useLoad';
import { vouchersApi } from './vouchersApi';

export function ConfirmPending({ voucher, onDone }: { voucher: Voucher; onDone: () => void }) {
  const { t } = useTranslation();
  const action = useAction();
  return (
    <>
      <p className="note">{t('wallet.pendingConfirmation')}</p>
      <button type="button" className="button button-primary" disabled={action.busy !== null} onClick={() => void action.run('confirm', async () => {
        await vouchersApi.confirm(voucher.id);
        onDone();
      })}>
        {t('wallet.confirm')}
      </button>
      {action.error !== null && <ProblemAlert error={action.error} />}
    </>
  );
}
