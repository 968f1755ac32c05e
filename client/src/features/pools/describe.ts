/** Sentences about a pool's value rule, validity and limits, in the current language. */
import type { TFunction } from 'i18next';
import type { ValueRule } from '@hqt/shared';
import { formatBp, formatDate, formatDateTime, formatFen } from '../../app/format';

export function valueRuleText(rule: ValueRule, t: TFunction): string {
  const amount = formatFen(rule.amountFen);
  switch (rule.type) {
    case 'fixed':
      return (rule.minSpendFen ?? 0) > 0
        ? t('voucher.rule.fixedMin', { amount, minSpend: formatFen(rule.minSpendFen ?? 0) })
        : t('voucher.rule.fixed', { amount });
    case 'ratio':
      return t('voucher.rule.ratio', { ratio: formatBp(rule.ratioBp ?? 0), cap: amount });
    case 'balance':
      return t('voucher.rule.balance', { amount });
  }
}

/** The big figure on a voucher card and the line under it. */
export function valueHeadline(rule: ValueRule, t: TFunction): { big: string; small: string } {
  switch (rule.type) {
    case 'fixed':
      return {
        big: formatFen(rule.amountFen),
        small: (rule.minSpendFen ?? 0) > 0
          ? t('voucher.headline.minSpend', { minSpend: formatFen(rule.minSpendFen ?? 0) })
          : t('voucher.headline.noMinSpend'),
      };
    case 'ratio':
      return { big: formatBp(rule.ratioBp ?? 0), small: t('voucher.headline.cap', { cap: formatFen(rule.amountFen) }) };
    case 'balance':
      return { big: formatFen(rule.amountFen), small: t('voucher.headline.balance') };
  }
}

/** Validity as a pool defines it: N days after issue, or up to a date. */
export function poolValidityText(
  pool: { validDays: number | null; validUntil: string | null },
  t: TFunction,
  language: string,
): string {
  if (pool.validUntil !== null) return t('voucher.validUntil', { date: formatDate(pool.validUntil, language) });
  return t('voucher.validDays', { days: pool.validDays ?? 0 });
}

/** "领取时间 A 至 B"; with `bare`, just "A 至 B" (where a label already says what it is). */
export function claimWindowText(
  pool: { claimOpensAt: string; claimClosesAt: string },
  t: TFunction,
  language: string,
  bare = false,
): string {
  const values = { opens: formatDateTime(pool.claimOpensAt, language), closes: formatDateTime(pool.claimClosesAt, language) };
  return bare ? t('pools.windowRange', values) : t('pools.window', values);
}

export function reversalText(minutes: number | null, t: TFunction): string {
  if (minutes === null) return t('pools.reversal.sameDay');
  return t('pools.reversal.minutes', { minutes });
}
