/** Request schemas of settlement: the batch list and the payment record. */
import Joi from 'joi';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, uuid } from '../common/common.schemas';

export const SETTLEMENT_STATUSES = ['draft', 'approved', 'paid'] as const;

export const settlementListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  cursor: Joi.string().max(200),
  status: Joi.string().valid(...SETTLEMENT_STATUSES),
  merchantId: uuid,
  // a calendar date: "2025-02-30" would reach the ::date cast and fail there (found by test/security/fuzz)
  businessDay: Joi.string().pattern(/^\d{4}-\d\d-\d\d$/)
    .custom((v: string, helpers) => {
      const day = new Date(`${v}T00:00:00Z`);
      return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === v ? v : helpers.error('date.base');
    }, 'calendar date'),
});

export const markPaidBody = Joi.object({
  /** the bank transfer's reference (流水号) */
  paymentRef: Joi.string().trim().pattern(/^[\p{L}\p{N}_./:#-]{1,64}$/u).required(),
});
