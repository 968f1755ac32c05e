/** Request schemas of redemption: preview, redeem (direct or B2B), confirm/reject, reversal, lists. */
import Joi from 'joi';
import { fen, uuid, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../common/common.schemas';

export const REDEMPTION_STATUSES = ['pending', 'posted', 'rejected', 'voided', 'reversed'] as const;
export const DELIVERY_PROOF_KEYS_MAX = 20;

/** Delivery-proof metadata of a B2B redemption: a flat, bounded map (file names, hashes, dates…). */
export const deliveryProofSchema = Joi.object()
  .pattern(
    Joi.string().pattern(/^[A-Za-z0-9_.-]{1,64}$/),
    Joi.alternatives(Joi.string().max(500), Joi.number(), Joi.boolean()),
  )
  .max(DELIVERY_PROOF_KEYS_MAX);

export const redeemBody = Joi.object({
  /** the QR payload the cashier scanned */
  token: Joi.string().max(80).required(),
  orderAmountFen: fen.min(1).required(),
  /** the merchant's own order (or contract) reference */
  orderRef: Joi.string().trim().min(1).max(64).required(),
  /** optional: the voucher the cashier expects; a token of another voucher is refused */
  voucherId: uuid,
  /** B2B (confirm mode): contract reference, invoice number and delivery proof */
  contractRef: Joi.string().trim().min(1).max(128),
  invoiceNo: Joi.string().trim().min(1).max(64),
  deliveryProof: deliveryProofSchema,
});

export const redemptionListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  cursor: Joi.string().max(200),
  status: Joi.string().valid(...REDEMPTION_STATUSES),
  poolId: uuid,
  voucherId: uuid,
});

export const redemptionDecisionBody = Joi.object({ reason: Joi.string().trim().min(1).max(1000) });

export const reversalBody = Joi.object({ reason: Joi.string().trim().min(1).max(1000) });
