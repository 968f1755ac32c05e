/**
 * Eligibility rules are data (JSON on the pool); this one function evaluates them on the
 * server and in the client, so both show the same reasons in zh and en.
 */
import { DISTRICTS, ENTERPRISE_TAGS } from '../reference';

export interface EligibilityRules {
  /** enterprise: registered in one of these districts */
  districts?: string[];
  /** enterprise: founded no more than N years ago */
  foundedWithinYears?: number;
  /** enterprise: at most N employees */
  headcountMax?: number;
  /** enterprise: carries at least one of these tags */
  tagsAny?: string[];
  /** enterprise: GB/T 4754 industry code starts with one of these */
  industryCodes?: string[];
  /** only holders on the pool's uploaded list */
  listOnly?: boolean;
  /** consumer: real-name verified */
  realNameRequired?: boolean;
  /** consumer: residence district one of these */
  residenceDistricts?: string[];
}

export interface EligibilitySubject {
  kind: 'enterprise' | 'consumer';
  district?: string | null;
  foundedOn?: string | null;
  headcount?: number | null;
  tags?: string[];
  industryCodes?: string[];
  onList?: boolean;
  realNameVerified?: boolean;
  residenceDistrict?: string | null;
}

export interface EligibilityReason {
  rule: string;
  pass: boolean;
  zh: string;
  en: string;
}

export interface EligibilityResult {
  eligible: boolean;
  reasons: EligibilityReason[];
}

const districtName = (code: string, lang: 'zh' | 'en') => DISTRICTS.find((d) => d.code === code)?.[lang] ?? code;
const tagName = (code: string, lang: 'zh' | 'en') => ENTERPRISE_TAGS.find((t) => t.code === code)?.[lang] ?? code;

function yearsBetween(fromIso: string, today: Date): number {
  const from = new Date(fromIso);
  let years = today.getUTCFullYear() - from.getUTCFullYear();
  const beforeAnniversary = today.getUTCMonth() < from.getUTCMonth() ||
    (today.getUTCMonth() === from.getUTCMonth() && today.getUTCDate() < from.getUTCDate());
  if (beforeAnniversary) years -= 1;
  return years;
}

type Check = (rules: EligibilityRules, s: EligibilitySubject, today: Date) => EligibilityReason | null;

const CHECKS: Check[] = [
  (r, s) => {
    if (!r.districts?.length) return null;
    const pass = !!s.district && r.districts.includes(s.district);
    const zhList = r.districts.map((d) => districtName(d, 'zh')).join('、');
    const enList = r.districts.map((d) => districtName(d, 'en')).join(', ');
    return { rule: 'districts', pass, zh: `注册地须在${zhList}`, en: `Must be registered in ${enList}` };
  },
  (r, s, today) => {
    if (r.foundedWithinYears === undefined) return null;
    const pass = !!s.foundedOn && yearsBetween(s.foundedOn, today) < r.foundedWithinYears;
    return { rule: 'foundedWithinYears', pass, zh: `成立不满${r.foundedWithinYears}年`, en: `Founded less than ${r.foundedWithinYears} years ago` };
  },
  (r, s) => {
    if (r.headcountMax === undefined) return null;
    const pass = typeof s.headcount === 'number' && s.headcount <= r.headcountMax;
    return { rule: 'headcountMax', pass, zh: `员工人数不超过${r.headcountMax}人`, en: `At most ${r.headcountMax} employees` };
  },
  (r, s) => {
    if (!r.tagsAny?.length) return null;
    const pass = r.tagsAny.some((t) => s.tags?.includes(t));
    return {
      rule: 'tagsAny', pass,
      zh: `须具备以下资质之一：${r.tagsAny.map((t) => tagName(t, 'zh')).join('、')}`,
      en: `Must be one of: ${r.tagsAny.map((t) => tagName(t, 'en')).join(', ')}`,
    };
  },
  (r, s) => {
    if (!r.industryCodes?.length) return null;
    const pass = (s.industryCodes ?? []).some((c) => r.industryCodes!.some((p) => c.startsWith(p)));
    return { rule: 'industryCodes', pass, zh: `行业代码须属于 ${r.industryCodes.join('、')}`, en: `Industry code must fall under ${r.industryCodes.join(', ')}` };
  },
  (r, s) => {
    if (!r.listOnly) return null;
    return { rule: 'listOnly', pass: !!s.onList, zh: '须在发放名单内', en: 'Must be on the published list' };
  },
  (r, s) => {
    if (!r.realNameRequired) return null;
    return { rule: 'realNameRequired', pass: !!s.realNameVerified, zh: '须完成实名认证', en: 'Real-name verification required' };
  },
  (r, s) => {
    if (!r.residenceDistricts?.length) return null;
    const pass = !!s.residenceDistrict && r.residenceDistricts.includes(s.residenceDistrict);
    return {
      rule: 'residenceDistricts', pass,
      zh: `居住地须在${r.residenceDistricts.map((d) => districtName(d, 'zh')).join('、')}`,
      en: `Must live in ${r.residenceDistricts.map((d) => districtName(d, 'en')).join(', ')}`,
    };
  },
];

export function evaluateEligibility(
  rules: EligibilityRules, subject: EligibilitySubject, audience: 'enterprise' | 'consumer', today: Date = new Date(),
): EligibilityResult {
  const reasons: EligibilityReason[] = [];
  const audienceOk = subject.kind === audience;
  reasons.push({
    rule: 'audience', pass: audienceOk,
    zh: audience === 'enterprise' ? '面向企业' : '面向个人消费者',
    en: audience === 'enterprise' ? 'For enterprises' : 'For consumers',
  });
  if (audienceOk) {
    for (const check of CHECKS) {
      const reason = check(rules, subject, today);
      if (reason) reasons.push(reason);
    }
  }
  return { eligible: reasons.every((r) => r.pass), reasons };
}
