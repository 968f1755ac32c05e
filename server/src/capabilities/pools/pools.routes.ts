import Joi from 'joi';
import {
  budgetChangeBody, createPoolBody, enrolMerchantsBody, idParams, merchantListQuery, pageQuery, patchPoolBody,
  poolListQuery, rejectBody, PRESETS,
} from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { PoolsService } from './pools.service';

const ISSUER = ['issuer_manager', 'issuer_approver', 'issuer_auditor'] as const;
const poolResponse = { 200: { description: 'The pool' }, 404: { description: 'Not found, or not yours' }, 409: { description: 'Not in a state that allows this step' } };

export function poolsRoutes(pools: PoolsService): RouteSpec[] {
  const lifecycle = (name: 'submit' | 'approve' | 'pause' | 'resume' | 'close', roles: readonly ('issuer_manager' | 'issuer_approver')[], summary: string): RouteSpec => ({
    method: 'post', path: `/pools/:id/${name}`, tag: 'pools', auth: roles, summary, params: idParams, responses: poolResponse,
    handler: ({ actor, params }) => pools[name](actor!, params.id),
  });
  return [
    {
      method: 'get', path: '/pool-presets', tag: 'pools', auth: 'user', summary: 'Defaults per pool kind (from real programmes)',
      responses: { 200: { description: 'Presets by kind' } }, handler: async () => PRESETS,
    },
    {
      method: 'get', path: '/pools', tag: 'pools', auth: 'user', query: poolListQuery,
      summary: "Issuers: their own pools. Holders: published pools of their audience; available=true keeps those the caller could get now (taking requests, an open round, not sold out, eligible; a page may then hold fewer than limit). Admin: all.",
      responses: { 200: { description: 'A page of pools' } },
      handler: ({ actor, query }) => pools.list(actor!, query),
    },
    {
      method: 'post', path: '/pools', tag: 'pools', auth: ['issuer_manager'], body: createPoolBody,
      summary: "Draft a pool; the kind's preset fills every field left out",
      responses: { 201: { description: 'The draft' }, 400: { description: 'Invalid or inconsistent fields' } },
      handler: ({ actor, body }) => pools.create(actor!, body),
    },
    {
      method: 'get', path: '/pools/:id', tag: 'pools', auth: 'user', params: idParams, summary: 'One pool with live budget figures',
      responses: poolResponse, handler: ({ actor, params }) => pools.get(actor!, params.id),
    },
    {
      method: 'patch', path: '/pools/:id', tag: 'pools', auth: ['issuer_manager'], params: idParams, body: patchPoolBody,
      summary: 'Edit a draft or rejected pool (optimistic: send the version you read)',
      responses: { ...poolResponse, 409: { description: 'POOL_NOT_EDITABLE or VERSION_CONFLICT' } },
      handler: ({ actor, params, body }) => pools.update(actor!, params.id, body),
    },
    lifecycle('submit', ['issuer_manager'], 'Submit a draft for approval'),
    lifecycle('approve', ['issuer_approver'], 'Approve (four eyes: never your own submission); funds the budget'),
    {
      method: 'post', path: '/pools/:id/reject', tag: 'pools', auth: ['issuer_approver'], params: idParams, body: rejectBody,
      summary: 'Reject a submitted pool with a reason', responses: poolResponse,
      handler: ({ actor, params, body }) => pools.reject(actor!, params.id, body.reason),
    },
    lifecycle('pause', ['issuer_manager', 'issuer_approver'], 'Pause claims and redemptions'),
    lifecycle('resume', ['issuer_manager', 'issuer_approver'], 'Resume a paused pool'),
    lifecycle('close', ['issuer_manager', 'issuer_approver'], 'Close the pool for good'),
    {
      method: 'post', path: '/pools/:id/budget-changes', tag: 'pools', auth: ['issuer_manager'], params: idParams, body: budgetChangeBody,
      summary: 'Request a budget increase or decrease; an approver accepts it',
      responses: { 201: { description: 'The pending request' } },
      handler: ({ actor, params, body }) => pools.requestBudgetChange(actor!, params.id, body.deltaFen, body.reason),
    },
    {
      method: 'get', path: '/budget-changes', tag: 'pools', auth: [...ISSUER, 'platform_admin'],
      query: Joi.object({ status: Joi.string().valid('pending', 'approved', 'rejected'), limit: Joi.number().integer().min(1).max(200).default(50) }),
      summary: "Budget change requests of the caller's issuer", responses: { 200: { description: 'Requests, newest first' } },
      handler: async ({ actor, query }) => ({ items: await pools.listBudgetChanges(actor!, query.status ?? null, query.limit), nextCursor: null }),
    },
    {
      method: 'post', path: '/budget-changes/:id/approve', tag: 'pools', auth: ['issuer_approver'], params: idParams,
      summary: 'Accept a budget change (never your own); a decrease cannot take available below zero',
      responses: { 200: { description: 'Applied' }, 409: { description: 'BUDGET_DECREASE_TOO_LARGE or already decided' } },
      handler: ({ actor, params }) => pools.decideBudgetChange(actor!, params.id, true),
    },
    {
      method: 'post', path: '/budget-changes/:id/reject', tag: 'pools', auth: ['issuer_approver'], params: idParams,
      summary: 'Refuse a budget change', responses: { 200: { description: 'Refused' } },
      handler: ({ actor, params }) => pools.decideBudgetChange(actor!, params.id, false),
    },
    {
      method: 'get', path: '/pools/:id/eligibility', tag: 'pools', auth: 'user', params: idParams,
      summary: 'Whether the caller may get vouchers of this pool, rule by rule (zh/en)',
      responses: { 200: { description: '{eligible, reasons[]}' } },
      handler: ({ actor, params }) => pools.eligibility(actor!, params.id),
    },
    {
      method: 'get', path: '/pools/:id/merchants', tag: 'pools', auth: 'user', params: idParams, query: pageQuery,
      summary: 'Merchants explicitly enrolled in the pool', responses: { 200: { description: 'A page of merchants' } },
      handler: ({ actor, params, query }) => pools.enrolled(actor!, params.id, query.cursor, query.limit),
    },
    {
      method: 'post', path: '/pools/:id/merchants', tag: 'pools', auth: ['issuer_manager'], params: idParams, body: enrolMerchantsBody,
      summary: 'Enrol approved merchants in the pool (idempotent)', responses: { 200: { description: '{enrolled}' } },
      handler: ({ actor, params, body }) => pools.enrolMerchants(actor!, params.id, body.merchantIds),
    },
    {
      method: 'get', path: '/merchants', tag: 'merchants', auth: ['platform_admin', ...ISSUER], query: merchantListQuery,
      summary: 'The merchant registry (issuers see approved merchants only)', responses: { 200: { description: 'A page of merchants' } },
      handler: ({ actor, query }) => pools.listMerchants(actor!, query),
    },
    {
      method: 'post', path: '/merchants/:id/approve', tag: 'merchants', auth: ['platform_admin'], params: idParams,
      summary: 'Approve a registered merchant', responses: { 200: { description: 'Approved' } },
      handler: ({ actor, params }) => pools.decideMerchant(actor!, params.id, true),
    },
    {
      method: 'post', path: '/merchants/:id/reject', tag: 'merchants', auth: ['platform_admin'], params: idParams,
      summary: 'Reject a registered merchant', responses: { 200: { description: 'Rejected' } },
      handler: ({ actor, params }) => pools.decideMerchant(actor!, params.id, false),
    },
  ];
}
