/**
 * The pool editor's form: its state (strings, as typed), filling it from a preset or a
 * saved pool, and turning it into a request body validated with the shared Joi schema
 * plus the cross-field rules the server checks (so the manager hears about them first).
 */
import {
  CONSUMPTION_TIERS, PRESETS, createPoolBody, patchPoolBody, type Distribution, type Pool, type PoolKind, type ValueType,
} from '@hqt/shared';
import type { ValidationErrorItem } from 'joi';
import {
  bpToPercentInput, endOfShanghaiDay, fenToYuanInput, fromShanghaiInput, parseCount, parsePercentToBp, parseYuan,
  shanghaiBusinessDay, toShanghaiInput,
} from '../../app/format';

const DAY_MS = 86_400_000;
const DEFAULT_WINDOW_DAYS = 30;

export interface FunderRow {
  code: string;
  nameZh: string;
  sharePercent: string;
}

export interface RoundRow {
  opensAt: string;
  closesAt: string;
}

export interface PoolForm {
  kind: PoolKind;
  nameZh: string;
  nameEn: string;
  description: string;
  policyRef: string;
  budgetYuan: string;
  valueType: ValueType;
  amountYuan: string;
  minSpendYuan: string;
  ratioPercent: string;
  distribution: Distribution;
  claimOpensAt: string;
  claimClosesAt: string;
  validityMode: 'days' | 'until';
  validDays: string;
  validUntil: string;
  perHolderMax: string;
  perHolderDailyMax: string;
  annualCapYuan: string;
  eligDistricts: string[];
  eligFoundedWithinYears: string;
  eligHeadcountMax: string;
  eligTags: string[];
  eligIndustryCodes: string;
  eligListOnly: boolean;
  eligRealName: boolean;
  eligResidence: string[];
  scopeCategories: string[];
  scopeDistricts: string[];
  scopeEnrolledOnly: boolean;
  bannedCategories: string[];
  redemptionMode: 'direct' | 'confirm';
  reissueUnused: boolean;
  rounds: RoundRow[];
  funders: FunderRow[];
  ticketStubRequired: boolean;
  confirmMode: 'immediate' | 'one_click';
  reversalMode: 'sameDay' | 'minutes';
  reversalMinutes: string;
}

export function audienceOf(kind: PoolKind): 'enterprise' | 'consumer' {
  return PRESETS[kind].audience;
}

/** A fresh form for a kind: every field from the kind's preset; the claim window starts now. */
export function formFromPreset(kind: PoolKind, nowMs: number): PoolForm {
  const p = PRESETS[kind];
  const opens = Math.floor(nowMs / 60_000) * 60_000;
  return {
    kind,
    nameZh: p.nameZh,
    nameEn: p.nameEn,
    description: '',
    policyRef: p.policyRef,
    budgetYuan: '',
    valueType: p.valueRule.type,
    amountYuan: fenToYuanInput(p.valueRule.amountFen),
    minSpendYuan: p.valueRule.minSpendFen !== undefined ? fenToYuanInput(p.valueRule.minSpendFen) : '0',
    ratioPercent: p.valueRule.ratioBp !== undefined ? bpToPercentInput(p.valueRule.ratioBp) : '',
    distribution: p.distribution,
    claimOpensAt: toShanghaiInput(opens),
    claimClosesAt: toShanghaiInput(opens + DEFAULT_WINDOW_DAYS * DAY_MS),
    validityMode: 'days',
    validDays: String(p.validDays),
    validUntil: '',
    perHolderMax: String(p.perHolderMax),
    perHolderDailyMax: '',
    annualCapYuan: p.annualCapFen !== undefined ? fenToYuanInput(p.annualCapFen) : '',
    eligDistricts: [],
    eligFoundedWithinYears: '',
    eligHeadcountMax: '',
    eligTags: [],
    eligIndustryCodes: '',
    eligListOnly: false,
    eligRealName: p.audience === 'consumer',
    eligResidence: [],
    scopeCategories: [...p.merchantCategories],
    scopeDistricts: [],
    scopeEnrolledOnly: false,
    bannedCategories: [...p.bannedCategories],
    redemptionMode: p.redemptionMode,
    reissueUnused: p.reissueUnused,
    rounds: [],
    funders: [],
    ticketStubRequired: false,
    confirmMode: 'immediate',
    reversalMode: 'sameDay',
    reversalMinutes: '',
  };
}

/** The form of a saved (draft or rejected) pool, for editing. */
export function formFromPool(pool: Pool): PoolForm {
  const e = pool.eligibility;
  return {
    kind: pool.kind,
    nameZh: pool.nameZh,
    nameEn: pool.nameEn ?? '',
    description: pool.description ?? '',
    policyRef: pool.policyRef ?? '',
    budgetYuan: fenToYuanInput(pool.budgetFen),
    valueType: pool.valueRule.type,
    amountYuan: fenToYuanInput(pool.valueRule.amountFen),
    minSpendYuan: fenToYuanInput(pool.valueRule.minSpendFen ?? 0),
    ratioPercent: pool.valueRule.ratioBp !== undefined ? bpToPercentInput(pool.valueRule.ratioBp) : '',
    distribution: pool.distribution,
    claimOpensAt: toShanghaiInput(pool.claimOpensAt),
    claimClosesAt: toShanghaiInput(pool.claimClosesAt),
    validityMode: pool.validUntil !== null ? 'until' : 'days',
    validDays: pool.validDays !== null ? String(pool.validDays) : '',
    validUntil: pool.validUntil !== null ? shanghaiBusinessDay(pool.validUntil) : '',
    perHolderMax: String(pool.perHolderMax),
    perHolderDailyMax: pool.perHolderDailyMax !== null ? String(pool.perHolderDailyMax) : '',
    annualCapYuan: pool.annualCapFen !== null ? fenToYuanInput(pool.annualCapFen) : '',
    eligDistricts: e.districts ?? [],
    eligFoundedWithinYears: e.foundedWithinYears !== undefined ? String(e.foundedWithinYears) : '',
    eligHeadcountMax: e.headcountMax !== undefined ? String(e.headcountMax) : '',
    eligTags: e.tagsAny ?? [],
    eligIndustryCodes: (e.industryCodes ?? []).join(', '),
    eligListOnly: e.listOnly ?? false,
    eligRealName: e.realNameRequired ?? false,
    eligResidence: e.residenceDistricts ?? [],
    scopeCategories: pool.merchantScope.categories ?? [],
    scopeDistricts: pool.merchantScope.districts ?? [],
    scopeEnrolledOnly: pool.merchantScope.enrolledOnly ?? false,
    bannedCategories: pool.bannedCategories,
    redemptionMode: pool.redemptionMode,
    reissueUnused: pool.reissueUnused,
    rounds: pool.rounds.map((r) => ({ opensAt: toShanghaiInput(r.opensAt), closesAt: toShanghaiInput(r.closesAt) })),
    funders: pool.funders.map((f) => ({ code: f.code, nameZh: f.nameZh, sharePercent: bpToPercentInput(f.shareBp) })),
    ticketStubRequired: pool.ticketStubRequired,
    confirmMode: pool.confirmMode,
    reversalMode: pool.reversalWindowMinutes === null ? 'sameDay' : 'minutes',
    reversalMinutes: pool.reversalWindowMinutes !== null ? String(pool.reversalWindowMinutes) : '',
  };
}

/** Which 满减 tier of the consumption preset the form's fixed rule matches, if any. */
export function tierOf(form: PoolForm): number | null {
  if (form.valueType !== 'fixed') return null;
  const amount = parseYuan(form.amountYuan);
  const minSpend = parseYuan(form.minSpendYuan);
  const index = CONSUMPTION_TIERS.findIndex((t) => t.amountFen === amount && t.minSpendFen === minSpend);
  return index < 0 ? null : index;
}

// ---------------------------------------------------------------- errors

/** Message keys under `validation.` in the locale files. */
export type ValidationKey =
  | 'required' | 'money' | 'percent' | 'count' | 'number' | 'integer' | 'min' | 'max' | 'tooLong' | 'date' | 'after'
  | 'unique' | 'pattern' | 'invalid' | 'oneOfValidity' | 'fundersSum' | 'amountOverBudget' | 'validUntilAfterOpens'
  | 'lotteryRatio' | 'windowOrder';

export interface FieldProblem {
  /** the DOM id of the input, so the summary can link to it */
  fieldId: string;
  key: ValidationKey;
  values?: Record<string, string | number>;
  /** how to show a numeric limit: yuan for money fields, percent for ratios */
  unit?: 'fen' | 'bp';
}

export type FieldErrors = Record<string, FieldProblem>;

/** Field ids of the editor's inputs, named after the form's fields. */
export const FIELD = {
  nameZh: 'pool-nameZh',
  nameEn: 'pool-nameEn',
  description: 'pool-description',
  policyRef: 'pool-policyRef',
  budget: 'pool-budget',
  valueType: 'pool-valueType',
  amount: 'pool-amount',
  minSpend: 'pool-minSpend',
  ratio: 'pool-ratio',
  distribution: 'pool-distribution',
  opensAt: 'pool-opensAt',
  closesAt: 'pool-closesAt',
  validity: 'pool-validity',
  validDays: 'pool-validDays',
  validUntil: 'pool-validUntil',
  perHolderMax: 'pool-perHolderMax',
  perHolderDailyMax: 'pool-perHolderDailyMax',
  annualCap: 'pool-annualCap',
  eligDistricts: 'elig-districts',
  eligFounded: 'elig-founded',
  eligHeadcount: 'elig-headcount',
  eligTags: 'elig-tags',
  eligIndustry: 'elig-industry',
  eligResidence: 'elig-residence',
  scopeCategories: 'scope-categories',
  scopeDistricts: 'scope-districts',
  banned: 'banned-categories',
  funders: 'pool-funders',
  reversalMinutes: 'pool-reversalMinutes',
} as const;

export const roundFieldId = (index: number, part: 'opensAt' | 'closesAt') => `round-${index}-${part}`;
export const funderFieldId = (index: number, part: 'code' | 'nameZh' | 'share') => `funder-${index}-${part}`;

/** Where a schema path of the request body is entered in the form. */
function fieldOfPath(path: readonly (string | number)[]): { fieldId: string; unit?: 'fen' | 'bp' } {
  const [head, second, third] = path;
  if (head === 'rounds' && typeof second === 'number') {
    return { fieldId: roundFieldId(second, third === 'opensAt' ? 'opensAt' : 'closesAt') };
  }
  if (head === 'funders' && typeof second === 'number') {
    if (third === 'shareBp') return { fieldId: funderFieldId(second, 'share'), unit: 'bp' };
    return { fieldId: funderFieldId(second, third === 'nameZh' ? 'nameZh' : 'code') };
  }
  const key = path.join('.');
  const table: Record<string, { fieldId: string; unit?: 'fen' | 'bp' }> = {
    nameZh: { fieldId: FIELD.nameZh },
    nameEn: { fieldId: FIELD.nameEn },
    description: { fieldId: FIELD.description },
    policyRef: { fieldId: FIELD.policyRef },
    budgetFen: { fieldId: FIELD.budget, unit: 'fen' },
    'valueRule.amountFen': { fieldId: FIELD.amount, unit: 'fen' },
    'valueRule.minSpendFen': { fieldId: FIELD.minSpend, unit: 'fen' },
    'valueRule.ratioBp': { fieldId: FIELD.ratio, unit: 'bp' },
    distribution: { fieldId: FIELD.distribution },
    claimOpensAt: { fieldId: FIELD.opensAt },
    claimClosesAt: { fieldId: FIELD.closesAt },
    validDays: { fieldId: FIELD.validDays },
    validUntil: { fieldId: FIELD.validUntil },
    perHolderMax: { fieldId: FIELD.perHolderMax },
    perHolderDailyMax: { fieldId: FIELD.perHolderDailyMax },
    annualCapFen: { fieldId: FIELD.annualCap, unit: 'fen' },
    'eligibility.foundedWithinYears': { fieldId: FIELD.eligFounded },
    'eligibility.headcountMax': { fieldId: FIELD.eligHeadcount },
    reversalWindowMinutes: { fieldId: FIELD.reversalMinutes },
  };
  const found = table[key];
  if (found !== undefined) return found;
  if (key.startsWith('eligibility.industryCodes')) return { fieldId: FIELD.eligIndustry };
  if (key.startsWith('eligibility.districts')) return { fieldId: FIELD.eligDistricts };
  if (key.startsWith('eligibility.tagsAny')) return { fieldId: FIELD.eligTags };
  if (key.startsWith('eligibility.residenceDistricts')) return { fieldId: FIELD.eligResidence };
  if (key.startsWith('merchantScope.categories')) return { fieldId: FIELD.scopeCategories };
  if (key.startsWith('merchantScope.districts')) return { fieldId: FIELD.scopeDistricts };
  if (key.startsWith('bannedCategories')) return { fieldId: FIELD.banned };
  if (key.startsWith('funders')) return { fieldId: FIELD.funders };
  return { fieldId: FIELD.validity };
}

const JOI_TYPE_KEYS: Record<string, ValidationKey> = {
  'any.required': 'required',
  'string.empty': 'required',
  'number.base': 'number',
  'number.integer': 'integer',
  'number.min': 'min',
  'number.greater': 'min',
  'number.max': 'max',
  'number.less': 'max',
  'string.max': 'tooLong',
  'string.min': 'required',
  'date.base': 'date',
  'date.format': 'date',
  'date.greater': 'after',
  'array.unique': 'unique',
  'string.pattern.base': 'pattern',
  'object.oxor': 'oneOfValidity',
  'any.invalid': 'invalid',
  'any.only': 'invalid',
};

function problemOfJoi(item: ValidationErrorItem): FieldProblem {
  const { fieldId, unit } = fieldOfPath(item.path);
  const key = JOI_TYPE_KEYS[item.type] ?? 'invalid';
  const limit = item.context?.limit;
  const problem: FieldProblem = { fieldId, key };
  if (typeof limit === 'number') problem.values = { limit };
  if (unit !== undefined) problem.unit = unit;
  return problem;
}

// ---------------------------------------------------------------- body

type Body = Record<string, unknown>;

function money(errors: FieldErrors, fieldId: string, text: string): number | undefined {
  const fen = parseYuan(text);
  if (fen === null) errors[fieldId] = { fieldId, key: text.trim() === '' ? 'required' : 'money' };
  return fen ?? undefined;
}

function count(errors: FieldErrors, fieldId: string, text: string): number | undefined {
  const value = parseCount(text);
  if (value === null) errors[fieldId] = { fieldId, key: text.trim() === '' ? 'required' : 'count' };
  return value ?? undefined;
}

function instant(errors: FieldErrors, fieldId: string, text: string): string | undefined {
  const iso = fromShanghaiInput(text);
  if (iso === null) errors[fieldId] = { fieldId, key: text.trim() === '' ? 'required' : 'date' };
  return iso ?? undefined;
}

function valueRuleOf(form: PoolForm, errors: FieldErrors): Body {
  const rule: Body = { type: form.valueType, amountFen: money(errors, FIELD.amount, form.amountYuan) };
  if (form.valueType === 'fixed') rule.minSpendFen = money(errors, FIELD.minSpend, form.minSpendYuan === '' ? '0' : form.minSpendYuan);
  if (form.valueType === 'ratio') {
    const bp = parsePercentToBp(form.ratioPercent);
    if (bp === null) errors[FIELD.ratio] = { fieldId: FIELD.ratio, key: form.ratioPercent.trim() === '' ? 'required' : 'percent' };
    rule.ratioBp = bp ?? undefined;
  }
  return rule;
}

function eligibilityOf(form: PoolForm, errors: FieldErrors): Body {
  const e: Body = {};
  if (audienceOf(form.kind) === 'enterprise') {
    if (form.eligDistricts.length > 0) e.districts = form.eligDistricts;
    if (form.eligFoundedWithinYears.trim() !== '') e.foundedWithinYears = count(errors, FIELD.eligFounded, form.eligFoundedWithinYears);
    if (form.eligHeadcountMax.trim() !== '') e.headcountMax = count(errors, FIELD.eligHeadcount, form.eligHeadcountMax);
    if (form.eligTags.length > 0) e.tagsAny = form.eligTags;
    const codes = form.eligIndustryCodes.split(/[,，\s]+/).map((c) => c.trim().toUpperCase()).filter((c) => c !== '');
    if (codes.length > 0) e.industryCodes = codes;
  } else {
    if (form.eligRealName) e.realNameRequired = true;
    if (form.eligResidence.length > 0) e.residenceDistricts = form.eligResidence;
  }
  if (form.eligListOnly) e.listOnly = true;
  return e;
}

function validityOf(form: PoolForm, errors: FieldErrors): Body {
  if (form.validityMode === 'days') return { validDays: count(errors, FIELD.validDays, form.validDays) };
  const until = endOfShanghaiDay(form.validUntil);
  if (until === null) errors[FIELD.validUntil] = { fieldId: FIELD.validUntil, key: form.validUntil === '' ? 'required' : 'date' };
  return { validUntil: until ?? undefined };
}

function fundersOf(form: PoolForm, errors: FieldErrors): Body[] {
  return form.funders.map((f, i) => {
    const bp = parsePercentToBp(f.sharePercent);
    const id = funderFieldId(i, 'share');
    if (bp === null) errors[id] = { fieldId: id, key: f.sharePercent.trim() === '' ? 'required' : 'percent' };
    return { code: f.code.trim(), nameZh: f.nameZh.trim(), shareBp: bp ?? undefined };
  });
}

function roundsOf(form: PoolForm, errors: FieldErrors): Body[] {
  return form.rounds.map((r, i) => ({
    opensAt: instant(errors, roundFieldId(i, 'opensAt'), r.opensAt),
    closesAt: instant(errors, roundFieldId(i, 'closesAt'), r.closesAt),
  }));
}

/** The request body the form stands for, and the fields that could not even be read. */
export function bodyOf(form: PoolForm): { body: Body; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: Body = {
    kind: form.kind,
    nameZh: form.nameZh.trim(),
    nameEn: form.nameEn.trim(),
    description: form.description.trim(),
    policyRef: form.policyRef.trim(),
    budgetFen: money(errors, FIELD.budget, form.budgetYuan),
    valueRule: valueRuleOf(form, errors),
    distribution: form.distribution,
    claimOpensAt: instant(errors, FIELD.opensAt, form.claimOpensAt),
    claimClosesAt: instant(errors, FIELD.closesAt, form.claimClosesAt),
    ...validityOf(form, errors),
    perHolderMax: count(errors, FIELD.perHolderMax, form.perHolderMax),
    perHolderDailyMax: form.perHolderDailyMax.trim() === '' ? null : count(errors, FIELD.perHolderDailyMax, form.perHolderDailyMax),
    annualCapFen: form.annualCapYuan.trim() === '' ? null : money(errors, FIELD.annualCap, form.annualCapYuan),
    eligibility: eligibilityOf(form, errors),
    merchantScope: {
      categories: form.scopeCategories,
      ...(form.scopeDistricts.length > 0 ? { districts: form.scopeDistricts } : {}),
      ...(form.scopeEnrolledOnly ? { enrolledOnly: true } : {}),
    },
    bannedCategories: form.bannedCategories,
    redemptionMode: form.redemptionMode,
    reissueUnused: form.reissueUnused,
    rounds: roundsOf(form, errors),
    funders: fundersOf(form, errors),
    ticketStubRequired: form.ticketStubRequired,
    confirmMode: form.confirmMode,
    reversalWindowMinutes: form.reversalMode === 'sameDay' ? null : count(errors, FIELD.reversalMinutes, form.reversalMinutes),
  };
  return { body, errors };
}

/** The rules across fields that the server enforces beyond the schema (pools.service checkConsistency). */
function consistencyProblems(body: Body, form: PoolForm): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const rule = body.valueRule as { type: ValueType; amountFen?: number };
  const funders = body.funders as { shareBp?: number }[];
  if (funders.length > 0) {
    const sumBp = funders.reduce((sum, f) => sum + (f.shareBp ?? 0), 0);
    if (sumBp !== 10_000) problems.push({ fieldId: FIELD.funders, key: 'fundersSum', values: { sum: bpToPercentInput(sumBp) } });
  }
  const budget = body.budgetFen as number | undefined;
  if (rule.amountFen !== undefined && budget !== undefined && rule.amountFen > budget) {
    problems.push({ fieldId: FIELD.amount, key: 'amountOverBudget' });
  }
  const opens = body.claimOpensAt as string | undefined;
  const closes = body.claimClosesAt as string | undefined;
  if (opens !== undefined && closes !== undefined && closes <= opens) problems.push({ fieldId: FIELD.closesAt, key: 'windowOrder' });
  const until = body.validUntil as string | undefined;
  if (until !== undefined && opens !== undefined && until <= opens) problems.push({ fieldId: FIELD.validUntil, key: 'validUntilAfterOpens' });
  if (form.distribution === 'lottery' && rule.type === 'ratio' && audienceOf(form.kind) === 'consumer') {
    problems.push({ fieldId: FIELD.valueType, key: 'lotteryRatio' });
  }
  return problems;
}

export interface Validated {
  body: Body;
  errors: FieldErrors;
}

/**
 * Reads and validates the form: unreadable inputs first, then the shared Joi schema
 * (createPoolBody for a new pool, patchPoolBody with the version for a saved draft),
 * then the cross-field rules. One problem per field, the first found.
 */
export function validateForm(form: PoolForm, version: number | null): Validated {
  const { body, errors } = bodyOf(form);
  const add = (problem: FieldProblem) => {
    errors[problem.fieldId] ??= problem;
  };
  const editable = Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'kind'));
  const toCheck = version === null ? body : { ...editable, version };
  const schema = version === null ? createPoolBody : patchPoolBody;
  const result = schema.validate(toCheck, { abortEarly: false });
  for (const item of result.error?.details ?? []) {
    // a field that could not be read is already reported as such
    const problem = problemOfJoi(item);
    if (item.context?.value === undefined && errors[problem.fieldId] !== undefined) continue;
    add(problem);
  }
  if (Object.keys(errors).length === 0) consistencyProblems(body, form).forEach(add);
  return { body: toCheck, errors };
}
