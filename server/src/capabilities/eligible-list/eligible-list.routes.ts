import { eligibleListQuery, idempotencyHeaders, idParams } from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import { sendStored } from '../vouchers';
import type { EligibleListService } from './eligible-list.service';

const READERS = ['issuer_manager', 'issuer_approver', 'issuer_auditor', 'platform_admin'] as const;
/** The upload route, for the app's multipart allow-list. */
export const ELIGIBLE_LIST_UPLOAD_PATH = /^\/pools\/[^/]+\/eligible-list$/;

export function eligibleListRoutes(lists: EligibleListService): RouteSpec[] {
  return [
    {
      method: 'put', path: '/pools/:id/eligible-list', tag: 'pools', auth: ['issuer_manager'], params: idParams, headers: idempotencyHeaders,
      consumes: 'multipart',
      summary: '上传名单 Replace the list the listOnly rule admits: multipart "file" = CSV, first column USCC (enterprise pools) or mobile '
        + '(consumer pools), header optional, UTF-8, ≤ 1,000,000 rows, ≤ 24 MB. Bad lines are reported, the rest stored. Idempotency-Key required',
      responses: {
        200: { description: '{stored, rejected, duplicates, replaced, header, rows[≤ 100 bad lines: line, code, value], rowsTruncated, fileSha256, uploadedAt}' },
        400: { description: 'CSV_INVALID, VALIDATION_FAILED' },
        409: { description: 'POOL_STATE_CONFLICT (closed pool), IDEMPOTENCY_CONFLICT' },
        422: { description: 'ELIGIBLE_LIST_NO_VALID_ROWS: no line is usable; the current list is kept' },
      },
      handler: async ({ actor, params, req, res }) =>
        sendStored(res, await lists.replace(actor!, params.id, String(req.headers['idempotency-key']), req, res)),
    },
    {
      method: 'get', path: '/pools/:id/eligible-list', tag: 'pools', auth: READERS, params: idParams, query: eligibleListQuery,
      summary: "The pool's eligible list in identifier order (limit/cursor), with the last upload; ?identifier= checks one entry",
      responses: { 200: { description: '{total, uploadedAt, uploadedBy, items[{identifier}], nextCursor}' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params, query }) => lists.page(actor!, params.id, query),
    },
  ];
}
