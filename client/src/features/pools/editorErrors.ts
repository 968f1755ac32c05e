/** Turns the editor's field problems into sentences and labels in the current language. */
import type { TFunction } from 'i18next';
import { formatBp, formatFen } from '../../app/format';
import { FIELD, type FieldProblem } from './poolForm';

export function problemText(problem: FieldProblem, t: TFunction): string {
  const values: Record<string, string | number> = { ...problem.values };
  const limit = problem.values?.limit;
  if (typeof limit === 'number') {
    if (problem.unit === 'fen') values.limit = formatFen(limit);
    else if (problem.unit === 'bp') values.limit = formatBp(limit);
  }
  return t(`validation.${problem.key}`, values);
}

const LABELS: Record<string, (t: TFunction) => string> = {
  [FIELD.nameZh]: (t) => t('editor.nameZh'),
  [FIELD.nameEn]: (t) => t('editor.nameEn'),
  [FIELD.description]: (t) => t('editor.description'),
  [FIELD.policyRef]: (t) => t('editor.policyRef'),
  [FIELD.budget]: (t) => t('editor.budget'),
  [FIELD.valueType]: (t) => t('editor.valueType'),
  [FIELD.amount]: (t) => t('editor.amount'),
  [FIELD.minSpend]: (t) => t('editor.minSpend'),
  [FIELD.ratio]: (t) => t('editor.ratio'),
  [FIELD.distribution]: (t) => t('editor.distribution'),
  [FIELD.opensAt]: (t) => t('editor.opensAt'),
  [FIELD.closesAt]: (t) => t('editor.closesAt'),
  [FIELD.validity]: (t) => t('editor.validity'),
  [FIELD.validDays]: (t) => t('editor.validDays'),
  [FIELD.validUntil]: (t) => t('editor.validUntil'),
  [FIELD.perHolderMax]: (t) => t('editor.perHolderMax'),
  [FIELD.perHolderDailyMax]: (t) => t('editor.perHolderDailyMax'),
  [FIELD.annualCap]: (t) => t('editor.annualCap'),
  [FIELD.eligDistricts]: (t) => t('editor.eligDistricts'),
  [FIELD.eligFounded]: (t) => t('editor.eligFounded'),
  [FIELD.eligHeadcount]: (t) => t('editor.eligHeadcount'),
  [FIELD.eligTags]: (t) => t('editor.eligTags'),
  [FIELD.eligIndustry]: (t) => t('editor.eligIndustry'),
  [FIELD.eligResidence]: (t) => t('editor.eligResidence'),
  [FIELD.scopeCategories]: (t) => t('editor.scopeCategories'),
  [FIELD.scopeDistricts]: (t) => t('editor.scopeDistricts'),
  [FIELD.banned]: (t) => t('editor.banned'),
  [FIELD.funders]: (t) => t('editor.funders'),
  [FIELD.reversalMinutes]: (t) => t('editor.reversalMinutes'),
};

export function fieldLabel(fieldId: string, t: TFunction): string {
  const fixed = LABELS[fieldId];
  if (fixed !== undefined) return fixed(t);
  const round = /^round-(\d+)-(opensAt|closesAt)$/.exec(fieldId);
  if (round !== null) {
    const part = round[2] === 'opensAt' ? t('editor.roundOpens') : t('editor.roundCloses');
    return `${t('editor.roundN', { n: Number(round[1]) + 1 })} · ${part}`;
  }
  const funder = /^funder-(\d+)-(code|nameZh|share)$/.exec(fieldId);
  if (funder !== null) {
    const part = funder[2] === 'code' ? t('editor.funderCode') : funder[2] === 'nameZh' ? t('editor.funderName') : t('editor.funderShare');
    return `${t('editor.funderN', { n: Number(funder[1]) + 1 })} · ${part}`;
  }
  return fieldId;
}
