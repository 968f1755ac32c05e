/** Joi schemas of the lottery (摇号) endpoints: which round to show, and the bounded entrant list pages. */
import Joi from 'joi';
import { uuid } from '../common/common.schemas';

/** A pool has at most 52 rounds (pools.schemas); a pool without rounds has round 0 only. */
export const LOTTERY_ROUND_MAX = 51;
/** The published entrant list is served in pages of at most this many entries. */
export const LOTTERY_PAGE_SIZE_MAX = 1000;

const round = Joi.number().integer().min(0).max(LOTTERY_ROUND_MAX);

export const lotteryQuery = Joi.object({ round });

export const lotteryEntriesQuery = Joi.object({
  round,
  limit: Joi.number().integer().min(1).max(LOTTERY_PAGE_SIZE_MAX).default(LOTTERY_PAGE_SIZE_MAX),
  /** the last entry id of the previous page */
  cursor: uuid,
  result: Joi.string().valid('won', 'lost'),
});
