/** Names that come in zh and en from the API or from `@hqt/shared`'s reference lists. */
import { DISTRICTS, ENTERPRISE_TAGS, MERCHANT_CATEGORIES } from '@hqt/shared';

export function isZh(language: string): boolean {
  return language.startsWith('zh');
}

/** The name in the current language, falling back to the Chinese one. */
export function localName(language: string, zh: string, en: string | null | undefined): string {
  return isZh(language) || en === null || en === undefined || en === '' ? zh : en;
}

type Named = { readonly code: string; readonly zh: string; readonly en: string };

function lookup(list: readonly Named[], code: string, language: string): string {
  const found = list.find((item) => item.code === code);
  return found === undefined ? code : localName(language, found.zh, found.en);
}

export const districtName = (code: string, language: string) => lookup(DISTRICTS, code, language);
export const categoryName = (code: string, language: string) => lookup(MERCHANT_CATEGORIES, code, language);
export const tagName = (code: string, language: string) => lookup(ENTERPRISE_TAGS, code, language);

/** Joins a list the way each language does: "餐饮、零售" / "Catering, Retail". */
export function joinList(items: readonly string[], language: string): string {
  return items.join(isZh(language) ? '、' : ', ');
}
