/** Request schemas and limits of auto-grant (免申即享) batches and ticket stubs (票根经济). */
import Joi from 'joi';
import { uuid } from '../common/common.schemas';

/** Limits of an uploaded grant list. */
export const GRANT_ROWS_MAX = 100_000;
export const GRANT_FILE_BYTES_MAX = 5 * 1024 * 1024;
/** Pending rows one job transaction processes. */
export const GRANT_BATCH_ROWS_MAX = 500;

export const GRANT_STATUSES = ['pending', 'running', 'done'] as const;
export const GRANT_ROW_STATUSES = ['pending', 'granted', 'skipped'] as const;

/** Why a row was skipped; stable strings that the result CSV carries. */
export const GRANT_SKIP_REASONS = [
  'invalid identifier', 'invalid amount', 'duplicate line', 'not registered', 'ineligible', 'already granted',
  'limit reached', 'annual cap reached', 'budget exhausted', 'pool closed', 'error',
] as const;

/** The JSON form of `POST /pools/:id/grants`; the CSV form is multipart with a `file` part. */
export const grantJsonBody = Joi.object({
  mode: Joi.string().valid('all_matching').required(),
});

/** What the route declares: a multipart upload arrives with no JSON body, so `mode` is optional there. */
export const grantCreateBody = Joi.object({
  mode: Joi.string().valid('all_matching'),
});

export const grantParams = Joi.object({ id: uuid.required() });

/** Imported stub codes: limits of the CSV (one `code` column). */
export const TICKET_STUB_CODE_LENGTH_MAX = 64;
export const TICKET_STUB_ROWS_MAX = 100_000;
export const TICKET_STUB_FILE_BYTES_MAX = 5 * 1024 * 1024;
/** Partner-signed codes: `<payload>.<tag>`, tag = base64url of the first 16 bytes of HMAC-SHA256(key, payload). */
export const SIGNED_STUB_PATTERN = /^([A-Za-z0-9_:-]{1,41})\.([A-Za-z0-9_-]{22})$/;

export const partnerKeyBody = Joi.object({
  /** the shared secret; leave out to have the server generate one (returned once) */
  key: Joi.string().pattern(/^[\x21-\x7e]{32,128}$/),
});
