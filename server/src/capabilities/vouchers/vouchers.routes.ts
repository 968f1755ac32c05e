import {
  claimBody, idempotencyHeaders, idParams, qrQuery, revokeBody, voucherListQuery,
} from '@hqt/shared';
import type { Response } from 'express';
import type { RouteSpec } from '../../app/route';
import type { StoredAnswer } from '../../app/idempotency';
import type { VouchersService } from './vouchers.service';

/** Writes a stored (possibly replayed) answer: problems keep their media type. */
export function sendStored(res: Response, answer: StoredAnswer): undefined {
  if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(answer.status);
  if (answer.status >= 400) res.type('application/problem+json').send(JSON.stringify(answer.body));
  else res.json(answer.body);
  return undefined;
}

export function vouchersRoutes(vouchers: VouchersService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/pools/:id/claims', tag: 'issuance', auth: ['enterprise', 'consumer'], params: idParams,
      headers: idempotencyHeaders, body: claimBody,
      summary: '抢券 Claim a voucher from a first-come pool (Idempotency-Key required; replays return the first answer)',
      responses: {
        201: { description: 'The voucher' },
        409: {
          description: 'POOL_EXHAUSTED, LIMIT_REACHED, DAILY_LIMIT_REACHED, ANNUAL_CAP_REACHED, CLAIM_WINDOW_CLOSED, IDEMPOTENCY_CONFLICT; ' +
            'pools with rounds: ROUND_NOT_OPEN, ROUND_EXHAUSTED (docs/ISSUANCE.md, Rounds)',
        },
        403: { description: 'NOT_ELIGIBLE' },
      },
      handler: async ({ actor, params, body, req, res }) =>
        sendStored(res, await vouchers.claim(actor!, params.id, String(req.headers['idempotency-key']), body)),
    },
    {
      method: 'get', path: '/vouchers', tag: 'vouchers', auth: 'user', query: voucherListQuery,
      summary: "Holders: their wallet. Issuers: their issuer's vouchers. Newest first.",
      responses: { 200: { description: 'A page of vouchers' } },
      handler: ({ actor, query }) => vouchers.list(actor!, query),
    },
    {
      method: 'get', path: '/vouchers/:id', tag: 'vouchers', auth: 'user', params: idParams,
      summary: 'Status, balance, validity, value rule and merchant scope; the holder also gets the QR key',
      responses: { 200: { description: 'The voucher' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params }) => vouchers.get(actor!, params.id),
    },
    {
      method: 'get', path: '/vouchers/:id/qr', tag: 'vouchers', auth: ['enterprise', 'consumer'], params: idParams, query: qrQuery,
      summary: "The current QR code (SVG by default, PNG with ?format=png); the holder's only",
      responses: { 200: { description: 'image/svg+xml or image/png', contentType: 'image/svg+xml' } },
      handler: async ({ actor, params, query, res }) => {
        const img = await vouchers.qrImage(actor!, params.id, query.format);
        res.setHeader('Cache-Control', 'no-store');
        res.type(img.contentType).send(img.body);
        return undefined;
      },
    },
    {
      method: 'post', path: '/vouchers/:id/confirm', tag: 'vouchers', auth: ['enterprise', 'consumer'], params: idParams,
      summary: '意愿确认 Accept a granted voucher in one click (idempotent)', responses: { 200: { description: 'The voucher' } },
      handler: ({ actor, params }) => vouchers.confirm(actor!, params.id),
    },
    {
      method: 'post', path: '/vouchers/:id/revoke', tag: 'vouchers', auth: ['issuer_manager', 'issuer_approver'], params: idParams,
      body: revokeBody, summary: 'Revoke a voucher; its remaining balance returns to the pool (idempotent, audited)',
      responses: { 200: { description: 'The revoked voucher' } },
      handler: ({ actor, params, body }) => vouchers.revoke(actor!, params.id, body.reason),
    },
  ];
}
