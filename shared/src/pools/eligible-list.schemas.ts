/** Limits, row codes and request schemas of a pool's uploaded eligibility list (上传名单). */
import Joi from 'joi';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../common/common.schemas';

/** Data rows one file may have (bad rows included): a city-wide list of enterprises or residents. */
export const ELIGIBLE_LIST_ROWS_MAX = 1_000_000;
/** 1,000,000 USCC lines of 20 bytes (CRLF), with room for a name column on smaller lists. */
export const ELIGIBLE_LIST_FILE_BYTES_MAX = 24 * 1024 * 1024;
/** A cell longer than this is refused on its line (`TOO_LONG`), and is echoed cut to this length. */
export const ELIGIBLE_LIST_CELL_CHARS_MAX = 64;
/** Bad rows one answer lists; the counts cover them all. */
export const ELIGIBLE_LIST_REPORT_ROWS_MAX = 100;

/** Why a line of the list was not stored; stable codes that clients translate. */
export const ELIGIBLE_LIST_ROW_CODES = [
  /** enterprise pool: not an 18-character USCC with the right check character */
  'INVALID_USCC',
  /** consumer pool: not a mainland mobile number (1[3-9] and 9 digits, +86 allowed) */
  'INVALID_MOBILE',
  /** a valid identifier of the other audience (a mobile number in an enterprise pool's list, or the reverse) */
  'WRONG_AUDIENCE',
  /** the first column is empty while other columns are not */
  'MISSING_IDENTIFIER',
  /** the first column is longer than ELIGIBLE_LIST_CELL_CHARS_MAX characters */
  'TOO_LONG',
] as const;

/** A stored identifier (normalised USCC or mobile number): the list's order and its cursor. */
export const ELIGIBLE_LIST_IDENTIFIER_PATTERN = /^[0-9A-Z]{11,18}$/;

export const eligibleListQuery = Joi.object({
  limit: Joi.number().integer().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  /** the last identifier of the previous page */
  cursor: Joi.string().pattern(ELIGIBLE_LIST_IDENTIFIER_PATTERN),
  /** check one entry: a USCC or mobile number as a person would type it */
  identifier: Joi.string().trim().min(1).max(ELIGIBLE_LIST_CELL_CHARS_MAX),
}).oxor('cursor', 'identifier');
