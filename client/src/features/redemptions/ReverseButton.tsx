/** 冲正: reverses a posted redemption after the cashier confirms, with an optional reason. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Redemption } from '@hqt/shared';
import { TextField } from '../../app/fields';
import { formatFen } from '../../app/format';
import { ProblemAlert } from '../../app/ProblemAlert';
import { useAction } from '../../app/useLoad';
import { redemptionsApi } from './redemptionsApi';

const REASON_LENGTH_MAX = 1000;

export function ReverseButton({ redemption, onReversed }: { redemption: Redemption; onReversed: (r: Redemption) => void }) {
  const { t } = useTranslation();
  const action = useAction();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const fieldId = `reverse-reason-${redemption.id}`;
  return (
    <div className="reverse">
      <button
        type="button"
        className="button button-secondary"
        aria-expanded={open}
        aria-label={t('reversal.openNamed', { code: redemption.voucherCode, amount: formatFen(redemption.discountFen) })}
        onClick={() => setOpen(!open)}
      >
        {t('reversal.open')}
      </button>
      {open && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run('reverse', async () => {
              onReversed(await redemptionsApi.reverse(redemption.id, reason.trim()));
              setOpen(false);
            });
          }}
        >
          <p className="note small">{t('reversal.warning', { amount: formatFen(redemption.discountFen) })}</p>
          <TextField id={fieldId} label={t('reversal.reason')} hint={t('reversal.reasonHint')} multiline maxLength={REASON_LENGTH_MAX} value={reason} onChange={setReason} />
          <button type="submit" className="button button-danger" disabled={action.busy !== null}>
            {action.busy !== null ? t('common.working') : t('reversal.confirm')}
          </button>
        </form>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </div>
  );
}
