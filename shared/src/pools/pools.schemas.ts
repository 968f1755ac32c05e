/** Request schemas of pools: drafting, editing, lifecycle, budget changes, merchants. */
import Joi from 'joi';
import { basisPoints, fen, shortText, longText, uuid } from '../common/common.schemas';
import { DISTRICT_CODES, ENTERPRISE_TAG_CODES, MERCHANT_CATEGORY_CODES } from '../reference';
import { DISTRIBUTIONS, POOL_KINDS, VALUE_TYPES } from './presets';

export const valueRuleSchema = Joi.object({
  type: Joi.string().valid(...VALUE_TYPES).required(),
  amountFen: fen.min(1).required(),
  minSpendFen: fen.when('type', { is: 'fixed', then: Joi.optional(), otherwise: Joi.forbidden() }),
  ratioBp: basisPoints.min(1).when('type', { is: 'ratio', then: Joi.required(), otherwise: Joi.forbidden() }),
});

export const eligibilitySchema = Joi.object({
  districts: Joi.array().items(Joi.string().valid(...DISTRICT_CODES)).max(16).unique(),
  foundedWithinYears: Joi.number().integer().min(1).max(100),
  headcountMax: Joi.number().integer().min(1).max(10_000_000),
  tagsAny: Joi.array().items(Joi.string().valid(...ENTERPRISE_TAG_CODES)).max(10).unique(),
  industryCodes: Joi.array().items(Joi.string().pattern(/^[A-T]\d{0,4}$/)).max(50).unique(),
  listOnly: Joi.boolean(),
  realNameRequired: Joi.boolean(),
  residenceDistricts: Joi.array().items(Joi.string().valid(...DISTRICT_CODES)).max(16).unique(),
});

export const merchantScopeSchema = Joi.object({
  categories: Joi.array().items(Joi.string().valid(...MERCHANT_CATEGORY_CODES)).max(20).unique(),
  districts: Joi.array().items(Joi.string().valid(...DISTRICT_CODES)).max(16).unique(),
  enrolledOnly: Joi.boolean(),
});

export const funderSchema = Joi.object({
  code: Joi.string().pattern(/^[a-z0-9_-]{1,32}$/).required(),
  nameZh: shortText.min(1).required(),
  shareBp: basisPoints.min(1).required(),
});

const roundSchema = Joi.object({
  opensAt: Joi.date().iso().required(),
  closesAt: Joi.date().iso().greater(Joi.ref('opensAt')).required(),
});

const poolFields = {
  nameZh: shortText.min(1),
  nameEn: shortText.allow(''),
  description: longText.allow(''),
  policyRef: shortText.allow(''),
  budgetFen: fen,
  valueRule: valueRuleSchema,
  distribution: Joi.string().valid(...DISTRIBUTIONS),
  claimOpensAt: Joi.date().iso(),
  claimClosesAt: Joi.date().iso(),
  validDays: Joi.number().integer().min(1).max(3660),
  validUntil: Joi.date().iso(),
  perHolderMax: Joi.number().integer().min(1).max(1000),
  perHolderDailyMax: Joi.number().integer().min(1).max(1000).allow(null),
  annualCapFen: fen.min(1).allow(null),
  eligibility: eligibilitySchema,
  merchantScope: merchantScopeSchema,
  bannedCategories: Joi.array().items(Joi.string().valid(...MERCHANT_CATEGORY_CODES)).max(20).unique(),
  redemptionMode: Joi.string().valid('direct', 'confirm'),
  reissueUnused: Joi.boolean(),
  rounds: Joi.array().items(roundSchema).max(52),
  funders: Joi.array().items(funderSchema).max(10).unique('code'),
  ticketStubRequired: Joi.boolean(),
  confirmMode: Joi.string().valid('immediate', 'one_click'),
  reversalWindowMinutes: Joi.number().integer().min(0).max(525_600).allow(null),
};

/** Drafting: the kind's preset fills every field the manager leaves out. */
export const createPoolBody = Joi.object({
  kind: Joi.string().valid(...POOL_KINDS).required(),
  ...poolFields,
  budgetFen: fen.min(1).required(),
  claimOpensAt: Joi.date().iso().required(),
  claimClosesAt: Joi.date().iso().greater(Joi.ref('claimOpensAt')).required(),
}).oxor('validDays', 'validUntil');

export const patchPoolBody = Joi.object({ ...poolFields, version: Joi.number().integer().min(1).required() })
  .oxor('validDays', 'validUntil')
  .min(2);

export const rejectBody = Joi.object({ reason: Joi.string().trim().min(1).max(1000).required() });

export const budgetChangeBody = Joi.object({
  deltaFen: Joi.number().integer().strict().min(-1_000_000_000_000).max(1_000_000_000_000).invalid(0).required(),
  reason: Joi.string().trim().min(1).max(1000).required(),
});

export const enrolMerchantsBody = Joi.object({
  merchantIds: Joi.array().items(uuid).min(1).max(500).unique().required(),
});

export const poolListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(200),
  status: Joi.string().valid('draft', 'pending_approval', 'scheduled', 'open', 'paused', 'closed', 'rejected'),
  kind: Joi.string().valid(...POOL_KINDS),
  /** holder view: only pools the caller could get now */
  available: Joi.boolean(),
});

export const merchantListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(200),
  status: Joi.string().valid('pending', 'active', 'suspended', 'rejected'),
  category: Joi.string().valid(...MERCHANT_CATEGORY_CODES),
  district: Joi.string().valid(...DISTRICT_CODES),
});
