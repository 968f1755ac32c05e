/**
 * One line of an eligibility list, as server and client read it: the identifier it names for
 * the pool's audience (normalised the way holders are registered), or why it names none.
 */
import { isValidMainlandMobile, isValidUscc, normalizePhone, normalizeUscc } from '../ids';
import { ELIGIBLE_LIST_CELL_CHARS_MAX } from './eligible-list.schemas';
import type { EligibleListRowCode } from './eligible-list.types';

export type ListCell = { identifier: string; code?: undefined } | { identifier?: undefined; code: EligibleListRowCode };

function usccOf(raw: string): string | null {
  const uscc = normalizeUscc(raw);
  return isValidUscc(uscc) ? uscc : null;
}

function mobileOf(raw: string): string | null {
  const phone = normalizePhone(raw);
  return isValidMainlandMobile(phone) ? phone : null;
}

export function readListCell(audience: 'enterprise' | 'consumer', cell: string): ListCell {
  const raw = cell.trim();
  if (raw === '') return { code: 'MISSING_IDENTIFIER' };
  if (raw.length > ELIGIBLE_LIST_CELL_CHARS_MAX) return { code: 'TOO_LONG' };
  const own = audience === 'enterprise' ? usccOf(raw) : mobileOf(raw);
  if (own) return { identifier: own };
  const other = audience === 'enterprise' ? mobileOf(raw) : usccOf(raw);
  if (other) return { code: 'WRONG_AUDIENCE' };
  return { code: audience === 'enterprise' ? 'INVALID_USCC' : 'INVALID_MOBILE' };
}
