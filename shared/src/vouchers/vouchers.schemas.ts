import Joi from 'joi';
import { idempotencyKey, uuid } from '../common/common.schemas';

export const idempotencyHeaders = Joi.object({ 'Idempotency-Key': idempotencyKey.required() }).unknown(true);

export const claimBody = Joi.object({
  ticketStub: Joi.string().trim().max(64),
});

export const voucherListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(200),
  poolId: uuid,
  status: Joi.string().valid('pending_confirmation', 'active', 'redeemed', 'expired', 'revoked'),
});

export const qrQuery = Joi.object({ format: Joi.string().valid('svg', 'png').default('svg') });

export const revokeBody = Joi.object({ reason: Joi.string().trim().min(1).max(1000).required() });
