/**
 * Whether a merchant may redeem a pool's vouchers (pure; the caller looks up enrolment):
 * - a B2B voucher bound to a provider is redeemable by that provider only;
 * - otherwise the merchant must match the pool's merchant scope: one of its categories and
 *   its district (each when the scope names any), unless the scope is `enrolledOnly`; an
 *   explicit enrolment by the issuer always admits the merchant;
 * - a banned category excludes the merchant whatever else holds.
 */
import type { MerchantScope } from '@hqt/shared';

export interface ScopeFacts {
  merchantScope: MerchantScope;
  bannedCategories: string[];
  providerId: string | null;
}

export interface MerchantProfile {
  id: string;
  categories: string[];
  district: string | null;
}

export type ScopeVerdict = 'ok' | 'NOT_ENROLLED' | 'CATEGORY_BANNED' | 'ask_enrolment';

/** 'ask_enrolment': the rules alone do not admit the merchant; only an explicit enrolment can. */
export function scopeVerdict(facts: ScopeFacts, merchant: MerchantProfile): ScopeVerdict {
  if (merchant.categories.some((c) => facts.bannedCategories.includes(c))) return 'CATEGORY_BANNED';
  if (facts.providerId !== null) return facts.providerId === merchant.id ? 'ok' : 'NOT_ENROLLED';
  const scope = facts.merchantScope;
  if (scope.enrolledOnly) return 'ask_enrolment';
  const categories = scope.categories ?? [];
  const districts = scope.districts ?? [];
  const categoryOk = categories.length === 0 || merchant.categories.some((c) => categories.includes(c));
  const districtOk = districts.length === 0 || (merchant.district !== null && districts.includes(merchant.district));
  return categoryOk && districtOk ? 'ok' : 'ask_enrolment';
}
