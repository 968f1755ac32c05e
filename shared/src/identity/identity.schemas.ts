/** Request and response schemas of identity: registration, login, sessions. */
import Joi from 'joi';
import {
  isValidMainlandMobile,
  isValidResidentId,
  isValidUscc,
  normalizePhone,
  normalizeResidentId,
  normalizeUscc,
} from '../ids';
import { DISTRICT_CODES, ENTERPRISE_TAG_CODES, MERCHANT_CATEGORY_CODES, ROLES } from '../reference';

/** USCC: normalised (half-width, upper case) then check-character verified (GB 32100-2015). */
export const uscc = Joi.string()
  .max(40)
  .custom((value: string, helpers) => {
    const n = normalizeUscc(value);
    return isValidUscc(n) ? n : helpers.error('uscc.invalid');
  })
  .messages({ 'uscc.invalid': '{{#label}} is not a valid Unified Social Credit Code (check character mismatch or illegal character)' });

export const residentId = Joi.string()
  .max(40)
  .custom((value: string, helpers) => {
    const n = normalizeResidentId(value);
    return isValidResidentId(n) ? n : helpers.error('residentId.invalid');
  })
  .messages({ 'residentId.invalid': '{{#label}} is not a valid resident ID number (check digit or birth date)' });

export const mobile = Joi.string()
  .max(20)
  .custom((value: string, helpers) => {
    const n = normalizePhone(value);
    return isValidMainlandMobile(n) ? n : helpers.error('mobile.invalid');
  })
  .messages({ 'mobile.invalid': '{{#label}} is not a mainland China mobile number' });

export const login = Joi.string().trim().lowercase().pattern(/^[a-z0-9][a-z0-9._@-]{2,63}$/)
  .messages({ 'string.pattern.base': '{{#label}} must be 3–64 characters: letters, digits, . _ @ -' });
export const password = Joi.string().min(8).max(128);
export const displayName = Joi.string().trim().min(1).max(100);
export const district = Joi.string().valid(...DISTRICT_CODES);

const orgFields = {
  uscc: uscc.required(),
  orgNameZh: Joi.string().trim().min(1).max(200).required(),
  orgNameEn: Joi.string().trim().max(200),
  district: district.required(),
  login: login.required(),
  password: password.required(),
  displayName: displayName.required(),
  phone: mobile,
};

export const registerEnterpriseBody = Joi.object({
  ...orgFields,
  foundedOn: Joi.date().iso().max('now'),
  headcount: Joi.number().integer().min(0).max(10_000_000),
  tags: Joi.array().items(Joi.string().valid(...ENTERPRISE_TAG_CODES)).max(10).unique(),
  industryCodes: Joi.array().items(Joi.string().pattern(/^[A-T]\d{0,4}$/)).max(20).unique(),
});

export const registerMerchantBody = Joi.object({
  ...orgFields,
  categories: Joi.array().items(Joi.string().valid(...MERCHANT_CATEGORY_CODES)).min(1).max(5).unique().required(),
});

export const registerConsumerBody = Joi.object({
  phone: mobile.required(),
  password: password.required(),
  displayName: displayName,
  residentId: residentId,
  residenceDistrict: district,
});

export const loginBody = Joi.object({
  login: Joi.string().trim().lowercase().min(1).max(64).required(),
  password: Joi.string().min(1).max(128).required(),
});

export const refreshBody = Joi.object({ refreshToken: Joi.string().max(200).required() });

export const tokensResponse = Joi.object({
  accessToken: Joi.string().required(),
  refreshToken: Joi.string().required(),
  expiresInSeconds: Joi.number().integer().required(),
});

export const membershipSchema = Joi.object({
  orgId: Joi.string().allow(null),
  orgType: Joi.string().allow(null),
  orgNameZh: Joi.string().allow(null),
  orgNameEn: Joi.string().allow(null),
  role: Joi.string().valid(...ROLES),
});

export const meResponse = Joi.object({
  id: Joi.string().required(),
  login: Joi.string().required(),
  displayName: Joi.string().required(),
  phoneMasked: Joi.string().allow(null),
  realNameVerified: Joi.boolean().required(),
  residentIdMasked: Joi.string().allow(null),
  memberships: Joi.array().items(membershipSchema),
});

export const registeredResponse = Joi.object({
  userId: Joi.string().required(),
  orgId: Joi.string().allow(null),
  orgStatus: Joi.string().allow(null),
});

export const addMemberBody = Joi.object({
  login: login.required(),
  password: password.required(),
  displayName: displayName.required(),
  role: Joi.string().valid(...ROLES).invalid('consumer').required(),
});
