import { idParams, markPaidBody, settlementListQuery } from '@hqt/shared';
import type { Response } from 'express';
import type { RouteSpec } from '../../app/route';
import type { SettlementBatch } from '@hqt/shared';
import type { SettlementService } from './settlement.service';
import { writeStatementCsv } from './statement-csv';

const READERS = ['platform_admin', 'issuer_manager', 'issuer_approver', 'issuer_auditor', 'merchant_admin'] as const;
const transition = { 200: { description: 'The batch (Idempotent-Replayed: true when it was already there)' },
  404: { description: 'Not found, or not an approver of its issuer' }, 409: { description: 'SETTLEMENT_STATE_CONFLICT' } };

function answer(res: Response, out: { batch: SettlementBatch; changed: boolean }): SettlementBatch {
  if (!out.changed) res.setHeader('Idempotent-Replayed', 'true');
  return out.batch;
}

export function settlementRoutes(settlement: SettlementService): RouteSpec[] {
  return [
    {
      method: 'get', path: '/settlements', tag: 'settlement', auth: READERS, query: settlementListQuery,
      summary: "Settlement batches, newest first. Issuers: their issuer's; merchant admins: their merchant's; platform admin: all",
      responses: { 200: { description: 'A page of batches' } },
      handler: ({ actor, query }) => settlement.list(actor!, query),
    },
    {
      method: 'get', path: '/settlements/:id', tag: 'settlement', auth: READERS, params: idParams,
      summary: 'One batch with its totals per pool', responses: { 200: { description: 'The batch' }, 404: { description: 'Not found, or not yours' } },
      handler: ({ actor, params }) => settlement.get(actor!, params.id),
    },
    {
      method: 'get', path: '/settlements/:id/statement.csv', tag: 'settlement', auth: READERS, params: idParams,
      summary: 'The statement: one line per redemption or reversal and a totals line (CSV, UTF-8 with BOM)',
      responses: { 200: { description: 'text/csv', contentType: 'text/csv' }, 404: { description: 'Not found, or not yours' } },
      handler: async ({ actor, params, res }) => {
        const batch = await settlement.forStatement(actor!, params.id);
        await writeStatementCsv(res, batch, (afterId, limit) => settlement.statementLines(batch.id, afterId, limit));
        return undefined;
      },
    },
    {
      method: 'post', path: '/settlements/:id/approve', tag: 'settlement', auth: ['issuer_approver'], params: idParams,
      summary: 'Approve a draft batch (four eyes: never one you created); idempotent', responses: transition,
      handler: async ({ actor, params, res }) => answer(res, await settlement.approve(actor!, params.id)),
    },
    {
      method: 'post', path: '/settlements/:id/mark-paid', tag: 'settlement', auth: ['issuer_approver'], params: idParams,
      body: markPaidBody,
      summary: 'Record the payment of an approved batch: the ledger moves its amounts spent → settled; idempotent per reference',
      responses: transition,
      handler: async ({ actor, params, body, res }) => answer(res, await settlement.markPaid(actor!, params.id, body.paymentRef)),
    },
  ];
}
