import { once } from 'node:events';
import Joi from 'joi';
import { grantCreateBody, idParams } from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { GrantsService } from './grants.service';

const ISSUER = ['issuer_manager', 'issuer_approver', 'issuer_auditor'] as const;
/** The upload route, for the app's multipart allow-list. */
export const GRANT_UPLOAD_PATH = /^\/pools\/[^/]+\/grants$/;

export function grantsRoutes(grants: GrantsService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/pools/:id/grants', tag: 'issuance', auth: ['issuer_manager'], params: idParams, body: grantCreateBody,
      summary: '免申即享 Start an auto-grant: JSON {"mode":"all_matching"}, or multipart/form-data with "file" = CSV (identifier[,amountFen], UTF-8, ≤ 100,000 rows, ≤ 5 MB)',
      responses: {
        201: { description: 'The grant batch; the grants job issues the vouchers (progress at GET /grants/:id)' },
        400: { description: 'CSV_INVALID, VALIDATION_FAILED' },
        409: { description: 'WRONG_DISTRIBUTION, POOL_NOT_OPEN, CLAIM_WINDOW_CLOSED' },
      },
      handler: ({ actor, params, req, res }) => grants.create(actor!, params.id, req, res),
    },
    {
      method: 'get', path: '/pools/:id/grants', tag: 'issuance', auth: [...ISSUER, 'platform_admin'], params: idParams,
      query: Joi.object({ limit: Joi.number().integer().min(1).max(200).default(50) }),
      summary: "The pool's grant batches, newest first", responses: { 200: { description: 'Grant batches' } },
      handler: ({ actor, params, query }) => grants.listForPool(actor!, params.id, query.limit),
    },
    {
      method: 'get', path: '/grants/:id', tag: 'issuance', auth: [...ISSUER, 'platform_admin'], params: idParams,
      summary: 'Progress of a grant batch: total, processed, granted, skipped, status',
      responses: { 200: { description: 'The batch' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params }) => grants.get(actor!, params.id),
    },
    {
      method: 'get', path: '/grants/:id/result.csv', tag: 'issuance', auth: [...ISSUER, 'platform_admin'], params: idParams,
      summary: 'Every row with its outcome: row, identifier, amount_fen, status, voucher_code, reason, detail (UTF-8 with BOM)',
      responses: { 200: { description: 'CSV', contentType: 'text/csv' }, 404: { description: 'Not found, or not yours' } },
      handler: async ({ actor, params, res }) => {
        const pages = await grants.resultCsv(actor!, params.id);
        res.status(200).type('text/csv; charset=utf-8').attachment(`grant-${params.id}-result.csv`);
        for await (const page of pages) {
          if (!res.write(page)) await once(res, 'drain');
        }
        res.end();
        return undefined;
      },
    },
  ];
}
