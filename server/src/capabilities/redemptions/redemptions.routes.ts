import {
  idempotencyHeaders, idParams, redeemBody, redemptionDecisionBody, redemptionListQuery, reversalBody,
} from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import { sendStored } from '../vouchers';
import type { RedemptionsService } from './redemptions.service';

const MERCHANT = ['merchant_cashier', 'merchant_admin'] as const;
const HOLDER = ['enterprise', 'consumer'] as const;
const CHECK_FAILURES = 'TOKEN_MALFORMED 400; TOKEN_FORGED, TOKEN_STALE, TOKEN_VOUCHER_MISMATCH, BELOW_MIN_SPEND, NO_DISCOUNT 422; '
  + 'NOT_ENROLLED, CATEGORY_BANNED 403; VOUCHER_NOT_ACTIVE, VOUCHER_EXPIRED, VOUCHER_NOT_YET_VALID, TOKEN_REPLAYED, '
  + 'INSUFFICIENT_BALANCE, MERCHANT_NOT_ACTIVE, POOL_NOT_OPEN 409';
const decided = { 200: { description: 'The redemption' }, 404: { description: 'Not found, or not yours' }, 409: { description: 'REDEMPTION_STATE_CONFLICT' } };

export function redemptionsRoutes(redemptions: RedemptionsService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/redemptions/preview', tag: 'redemptions', auth: MERCHANT, body: redeemBody,
      summary: 'Run every redemption check and compute the discount, without committing',
      responses: { 200: { description: 'Discount, what the customer pays, the balance after' }, 409: { description: CHECK_FAILURES } },
      handler: ({ actor, body }) => redemptions.preview(actor!, body),
    },
    {
      method: 'post', path: '/redemptions', tag: 'redemptions', auth: MERCHANT, headers: idempotencyHeaders, body: redeemBody,
      summary: '核销 Redeem a scanned voucher (B2B pools: submit for the holder’s confirmation). Idempotency-Key required',
      responses: { 201: { description: 'The redemption (status posted, or pending for B2B)' }, 409: { description: `${CHECK_FAILURES}; IDEMPOTENCY_CONFLICT` } },
      handler: async ({ actor, body, req, res }) =>
        sendStored(res, await redemptions.redeem(actor!, String(req.headers['idempotency-key']), body)),
    },
    {
      method: 'get', path: '/redemptions', tag: 'redemptions', auth: 'user', query: redemptionListQuery,
      summary: 'Merchants: their own. Holders: redemptions of their vouchers (?status=pending to confirm). Issuers: their issuer’s',
      responses: { 200: { description: 'A page of redemptions, newest first' } },
      handler: ({ actor, query }) => redemptions.list(actor!, query),
    },
    {
      method: 'get', path: '/redemptions/:id', tag: 'redemptions', auth: 'user', params: idParams,
      summary: 'One redemption with its reversal', responses: { 200: { description: 'The redemption' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params }) => redemptions.get(actor!, params.id),
    },
    {
      method: 'post', path: '/redemptions/:id/confirm', tag: 'redemptions', auth: HOLDER, params: idParams,
      summary: 'The holder confirms a pending B2B redemption: the hold is posted (idempotent)', responses: decided,
      handler: ({ actor, params }) => redemptions.confirm(actor!, params.id),
    },
    {
      method: 'post', path: '/redemptions/:id/reject', tag: 'redemptions', auth: HOLDER, params: idParams, body: redemptionDecisionBody,
      summary: 'The holder rejects a pending B2B redemption: the hold returns to the voucher (idempotent)', responses: decided,
      handler: ({ actor, params, body }) => redemptions.reject(actor!, params.id, body.reason ?? null),
    },
    {
      method: 'post', path: '/redemptions/:id/reversal', tag: 'redemptions', auth: MERCHANT, params: idParams, body: reversalBody,
      summary: 'Reverse an own redemption within the pool’s window (idempotent: a second call answers the first reversal)',
      responses: { 201: { description: 'The reversed redemption with its reversal' }, 200: { description: 'Already reversed: the first reversal' }, 409: { description: 'REVERSAL_WINDOW_CLOSED, REDEMPTION_STATE_CONFLICT' } },
      handler: async ({ actor, params, body, res }) => {
        const { redemption, created } = await redemptions.reverse(actor!, params.id, body.reason ?? null);
        if (!created) res.setHeader('Idempotent-Replayed', 'true');
        res.status(created ? 201 : 200).json(redemption);
        return undefined;
      },
    },
  ];
}
