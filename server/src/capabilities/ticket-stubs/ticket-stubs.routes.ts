import Joi from 'joi';
import { idParams, partnerKeyBody } from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { TicketStubsService } from './ticket-stubs.service';

const ISSUER = ['issuer_manager', 'issuer_approver', 'issuer_auditor'] as const;
/** The upload route, for the app's multipart allow-list. */
export const TICKET_STUB_UPLOAD_PATH = /^\/pools\/[^/]+\/ticket-stubs$/;

export function ticketStubsRoutes(stubs: TicketStubsService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/pools/:id/ticket-stubs', tag: 'issuance', auth: ['issuer_manager'], params: idParams, consumes: 'multipart',
      summary: '票根 Import stub codes: multipart "file" = CSV with a "code" column (UTF-8, ≤ 100,000 rows, ≤ 5 MB); only sha256 is kept',
      responses: { 200: { description: '{imported, alreadyPresent, total}' }, 400: { description: 'CSV_INVALID' } },
      handler: ({ actor, params, req, res }) => stubs.importCsv(actor!, params.id, req, res),
    },
    {
      method: 'get', path: '/pools/:id/ticket-stubs', tag: 'issuance', auth: [...ISSUER, 'platform_admin'], params: idParams,
      query: Joi.object({}),
      summary: 'How many stubs were imported and used, and the partner key fingerprint',
      responses: { 200: { description: '{imported, used, partnerKey}' } },
      handler: ({ actor, params }) => stubs.summary(actor!, params.id),
    },
    {
      method: 'put', path: '/pools/:id/ticket-stubs/partner-key', tag: 'issuance', auth: ['issuer_manager'], params: idParams,
      body: partnerKeyBody,
      summary: 'Set or rotate the HMAC key partners sign stub codes with; with no key the server makes one and returns it once',
      responses: { 200: { description: '{poolId, fingerprint, setAt, key?}' } },
      handler: ({ actor, params, body }) => stubs.setPartnerKey(actor!, params.id, body.key),
    },
  ];
}
