import { useTranslation } from 'react-i18next';
import { SelectField } from '../../app/fields';

/** Picks a lottery round when a pool has several; renders nothing for a one-round pool. */
export function RoundSelect({ count, value, onChange }: { count: number; value: number | undefined; onChange: (round: number | undefined) => void }) {
  const { t } = useTranslation();
  if (count <= 1) return null;
  const options = [
    { value: '', label: t('lottery.currentRound') },
    ...Array.from({ length: count }, (_, i) => ({ value: String(i), label: t('lottery.roundOf', { n: i + 1, total: count }) })),
  ];
  return (
    <SelectField id="lottery-round" label={t('lottery.round')} value={value === undefined ? '' : String(value)} options={options} onChange={(v) => onChange(v === '' ? undefined : Number(v))} />
  );
}
