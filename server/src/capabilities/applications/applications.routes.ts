import {
  applicationListQuery, applicationRejectBody, ATTACHMENT_BYTES_MAX, ATTACHMENTS_MAX, attachmentParams, idParams,
} from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { ApplicationsService } from './applications.service';
import { readMultipart } from './multipart';

const ISSUER = ['issuer_manager', 'issuer_approver', 'issuer_auditor'] as const;
/** The upload route, for the app's multipart allow-list. */
export const APPLICATION_UPLOAD_PATH = /^\/pools\/[^/]+\/applications$/;

export function applicationsRoutes(applications: ApplicationsService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/pools/:id/applications', tag: 'issuance', auth: ['enterprise'], params: idParams, consumes: 'multipart',
      summary: '申请 Apply (multipart/form-data: contractRef, contractAmountFen, providerId, note, and 0–5 "attachments": PDF/JPG/PNG ≤ 10 MB)',
      responses: {
        201: { description: 'The pending application' },
        400: { description: 'VALIDATION_FAILED, PROVIDER_INVALID, ATTACHMENT_INVALID' },
        403: { description: 'NOT_ELIGIBLE' },
        409: { description: 'APPLICATION_DUPLICATE, CLAIM_WINDOW_CLOSED, POOL_NOT_OPEN, WRONG_DISTRIBUTION' },
      },
      handler: async ({ actor, params, req, res }) => applications.submit(actor!, params.id, await readMultipart(req, res, {
        fileField: 'attachments', filesMax: ATTACHMENTS_MAX, fileBytesMax: ATTACHMENT_BYTES_MAX, fileProblem: 'ATTACHMENT_INVALID',
      })),
    },
    {
      method: 'get', path: '/applications', tag: 'issuance', auth: ['enterprise', ...ISSUER, 'platform_admin'], query: applicationListQuery,
      summary: "Enterprises: their own applications. Issuers: their issuer's. Newest first.",
      responses: { 200: { description: 'A page of applications' } },
      handler: ({ actor, query }) => applications.list(actor!, query),
    },
    {
      method: 'get', path: '/applications/:id', tag: 'issuance', auth: 'user', params: idParams,
      summary: 'One application with its attachments and decision',
      responses: { 200: { description: 'The application' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params }) => applications.get(actor!, params.id),
    },
    {
      method: 'get', path: '/applications/:id/attachments/:n', tag: 'issuance', auth: 'user', params: attachmentParams,
      summary: 'Download the n-th attachment (same visibility as the application)',
      responses: { 200: { description: 'The file', contentType: 'application/octet-stream' }, 404: { description: 'Not found, or not yours' } },
      handler: async ({ actor, params, res }) => {
        const file = await applications.attachment(actor!, params.id, params.n);
        res.attachment(file.name).type(file.mediaType).setHeader('Cache-Control', 'private, no-store');
        res.send(file.bytes);
        return undefined;
      },
    },
    {
      method: 'post', path: '/applications/:id/approve', tag: 'issuance', auth: ['issuer_approver'], params: idParams,
      summary: 'Grant min(ratio × contract, voucher cap, annual remainder) as a voucher bound to the provider',
      responses: {
        200: { description: 'The approved application with its voucher id' },
        409: { description: 'APPLICATION_DECIDED (approving twice), POOL_EXHAUSTED, ANNUAL_CAP_REACHED, LIMIT_REACHED, POOL_NOT_OPEN' },
      },
      handler: ({ actor, params }) => applications.approve(actor!, params.id),
    },
    {
      method: 'post', path: '/applications/:id/reject', tag: 'issuance', auth: ['issuer_approver'], params: idParams, body: applicationRejectBody,
      summary: 'Reject with a reason (the applicant may then apply again for the same contract)',
      responses: { 200: { description: 'The rejected application' }, 409: { description: 'APPLICATION_DECIDED' } },
      handler: ({ actor, params, body }) => applications.reject(actor!, params.id, body.reason),
    },
  ];
}
