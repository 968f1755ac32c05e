/** The eligibility verdict rule by rule, in the words the server (and the shared evaluator) chose. */
import { useTranslation } from 'react-i18next';
import type { EligibilityReason } from '@hqt/shared';
import { isZh } from '../../app/names';

export function Reasons({ reasons, onlyFailed = false }: { reasons: EligibilityReason[]; onlyFailed?: boolean }) {
  const { t, i18n } = useTranslation();
  const shown = onlyFailed ? reasons.filter((r) => !r.pass) : reasons;
  return (
    <ul className="reasons" data-testid="eligibility-reasons">
      {shown.map((r) => (
        <li key={r.rule} className={r.pass ? 'reason-pass' : 'reason-fail'}>
          <span className="reason-mark" aria-hidden="true">
            {r.pass ? '✓' : '✗'}
          </span>
          <span className="visually-hidden">{r.pass ? t('eligibility.met') : t('eligibility.notMet')}</span>
          {isZh(i18n.language) ? r.zh : r.en}
        </li>
      ))}
    </ul>
  );
}
