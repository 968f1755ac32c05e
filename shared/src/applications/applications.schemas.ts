/** Request schemas of applications (申请 + 审核): the form fields of a submission, lists, decisions. */
import Joi from 'joi';
import { FEN_MAX } from '../money';
import { uuid } from '../common/common.schemas';

export const APPLICATION_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const ATTACHMENTS_MAX = 5;
export const ATTACHMENT_BYTES_MAX = 10 * 1024 * 1024;
export const ATTACHMENT_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;

/**
 * The text fields of the multipart submission. Form fields arrive as strings, so the amount is
 * converted (not strict) but must still be a whole number of fen.
 */
export const applicationFields = Joi.object({
  contractRef: Joi.string().trim().min(1).max(64).required(),
  contractAmountFen: Joi.number().integer().min(1).max(FEN_MAX).required(),
  providerId: uuid.required(),
  note: Joi.string().trim().max(2000).allow(''),
});

export const applicationListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(200),
  status: Joi.string().valid(...APPLICATION_STATUSES),
  poolId: uuid,
});

export const attachmentParams = Joi.object({
  id: uuid.required(),
  n: Joi.number().integer().min(1).max(ATTACHMENTS_MAX).required(),
});

export const applicationRejectBody = Joi.object({ reason: Joi.string().trim().min(1).max(1000).required() });
