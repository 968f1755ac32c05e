/** Schema pieces every capability reuses: ids, paging, bounded strings, fen amounts. */
import Joi from 'joi';
import { FEN_MAX } from '../money';

export const PAGE_SIZE_MAX = 200;
export const PAGE_SIZE_DEFAULT = 50;

export const uuid = Joi.string().guid({ version: ['uuidv4', 'uuidv7'] });
export const fen = Joi.number().integer().min(0).max(FEN_MAX).strict();
export const basisPoints = Joi.number().integer().min(0).max(10_000).strict();
export const shortText = Joi.string().trim().max(200);
export const longText = Joi.string().trim().max(4000);
export const isoDate = Joi.string().isoDate().max(40);

export const pageQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  cursor: Joi.string().max(200),
});

export const idParams = Joi.object({ id: uuid.required() });

export const idempotencyKey = Joi.string().pattern(/^[A-Za-z0-9_.:-]{8,128}$/);

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
