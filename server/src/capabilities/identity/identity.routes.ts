import {
  addMemberBody, idParams, loginBody, meResponse, refreshBody, registerConsumerBody, registerEnterpriseBody,
  registeredResponse, registerMerchantBody, tokensResponse,
} from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { IdentityService } from './identity.service';

const registerResponses = {
  201: { description: 'Registered', schema: registeredResponse },
  409: { description: 'Login, USCC or resident ID already registered (a retried registration lands here)' },
};

export function identityRoutes(identity: IdentityService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/auth/register/enterprise', tag: 'auth', auth: 'public',
      summary: 'Register an enterprise (USCC) with its first user', body: registerEnterpriseBody,
      responses: registerResponses, handler: ({ body }) => identity.registerEnterprise(body),
    },
    {
      method: 'post', path: '/auth/register/merchant', tag: 'auth', auth: 'public',
      summary: 'Register a merchant or service provider (pending platform approval)', body: registerMerchantBody,
      responses: registerResponses, handler: ({ body }) => identity.registerMerchant(body),
    },
    {
      method: 'post', path: '/auth/register/consumer', tag: 'auth', auth: 'public',
      summary: 'Register a consumer by mobile number, optionally real-name by resident ID', body: registerConsumerBody,
      responses: registerResponses, handler: ({ body }) => identity.registerConsumer(body),
    },
    {
      method: 'post', path: '/auth/login', tag: 'auth', auth: 'public', summary: 'Log in; returns an access JWT and a refresh token',
      body: loginBody,
      responses: {
        200: { description: 'Tokens', schema: tokensResponse },
        401: { description: 'INVALID_CREDENTIALS' },
        429: { description: 'LOGIN_LOCKED after 5 failures in 15 minutes (Retry-After)' },
      },
      handler: ({ body }) => identity.login(body.login, body.password),
    },
    {
      method: 'post', path: '/auth/refresh', tag: 'auth', auth: 'public', summary: 'Rotate a refresh token',
      body: refreshBody,
      responses: { 200: { description: 'New tokens', schema: tokensResponse }, 401: { description: 'Invalid or reused' } },
      handler: ({ body }) => identity.refresh(body.refreshToken),
    },
    {
      method: 'post', path: '/auth/logout', tag: 'auth', auth: 'public', summary: 'End the session of a refresh token (idempotent)',
      body: refreshBody, responses: { 204: { description: 'Logged out' } },
      handler: async ({ body }) => {
        await identity.logout(body.refreshToken);
        return undefined;
      },
    },
    {
      method: 'get', path: '/me', tag: 'auth', auth: 'user', summary: 'The signed-in user and their memberships',
      responses: { 200: { description: 'The user', schema: meResponse } },
      handler: ({ actor }) => identity.me(actor!),
    },
    {
      method: 'get', path: '/orgs/:id', tag: 'organisations', auth: 'user',
      summary: "An organisation's profile (own organisation, or any for the platform admin)",
      params: idParams, responses: { 200: { description: 'The organisation' }, 404: { description: 'Not found or not yours' } },
      handler: ({ actor, params }) => identity.getOrg(actor!, params.id),
    },
    {
      method: 'post', path: '/orgs/:id/members', tag: 'organisations', auth: ['platform_admin', 'merchant_admin'],
      summary: 'Add a staff member with a role to an organisation (audited role change)',
      params: idParams, body: addMemberBody,
      responses: { 201: { description: 'Member added', schema: registeredResponse } },
      handler: ({ actor, params, body }) => identity.addMember(actor!, params.id, body),
    },
  ];
}

