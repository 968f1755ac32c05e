/** Query schemas of the reports: filters, date range (Asia/Shanghai dates) and the CSV switch. */
import Joi from 'joi';
import { uuid } from '../common/common.schemas';
import { POOL_KINDS } from '../pools/presets';
import { DISTRICT_CODES, MERCHANT_CATEGORY_CODES } from '../reference';

export const REPORT_DAYS_MAX = 366;
const date = Joi.string().pattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/);
const format = Joi.string().valid('json', 'csv').default('json');

export const reportQuery = Joi.object({
  /** platform admin only; issuer roles are always limited to their issuer */
  issuer: uuid,
  kind: Joi.string().valid(...POOL_KINDS),
  /** the merchant's district */
  district: Joi.string().valid(...DISTRICT_CODES),
  /** the merchant's category */
  category: Joi.string().valid(...MERCHANT_CATEGORY_CODES),
  from: date,
  to: date,
  format,
});

/** A pool's report: the pool fixes issuer and kind. */
export const poolReportQuery = Joi.object({
  district: Joi.string().valid(...DISTRICT_CODES),
  category: Joi.string().valid(...MERCHANT_CATEGORY_CODES),
  from: date,
  to: date,
  format,
});

export const signalsQuery = Joi.object({
  issuer: uuid,
  kind: Joi.string().valid(...POOL_KINDS),
  from: date,
  to: date,
  format,
});
