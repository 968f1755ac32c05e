/**
 * OWASP API1/API5: the authorisation matrix, generated from the live route table.
 * 1. Every endpoint × every role (and anonymous): the role gate allows exactly the declared
 *    roles; anonymous gets 401, a signed-in caller outside the list 403 FORBIDDEN.
 * 2. Every endpoint that takes an object id × every caller × another tenant's objects:
 *    the answer is byte-for-byte the answer for an id that does not exist (404), and nothing
 *    in the database changes.
 */
import { randomUUID } from 'node:crypto';
import type { RouteSpec } from '../../server/src/app/route';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import {
  buildTenants, CALLERS, comparable, fillPath, guardedChecksum, liveSpecs, LOGIN_OF, orgIdOf, tokensByRole, type Caller, type Tenants,
} from './fixtures';

type Res = { status: number; body: { code?: string }; headers: Record<string, string> };

interface Multipart {
  fields?: Record<string, string>;
  file?: { field: string; name: string; bytes: Buffer };
}

function send(h: Harness, spec: RouteSpec, url: string, token: string | null, body: unknown, multipart?: Multipart) {
  let req = h.http()[spec.method](`/api/v1${url}`);
  if (token) req = req.set(bearer(token));
  if (spec.headers) req = req.set('Idempotency-Key', randomUUID());
  if (multipart) {
    for (const [k, v] of Object.entries(multipart.fields ?? {})) req = req.field(k, v);
    if (multipart.file) req = req.attach(multipart.file.field, multipart.file.bytes, multipart.file.name);
    return req as unknown as Promise<Res>;
  }
  return (spec.method === 'get' ? req : req.send(body as object)) as unknown as Promise<Res>;
}

function allowedRoles(spec: RouteSpec): readonly Caller[] {
  if (spec.auth === 'public') return CALLERS;
  if (spec.auth === 'user') return CALLERS.filter((c) => c !== 'anonymous');
  return spec.auth;
}

describe('authorisation matrix (from the live route table)', () => {
  let h: Harness;
  let specs: RouteSpec[];
  let tokens: Record<Caller, string | null>;

  beforeAll(async () => {
    h = await startHarness({ demo: true });
    specs = liveSpecs(h);
    tokens = await tokensByRole(h);
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when every role calls every endpoint, then exactly the declared roles pass the gate; the rest get 401 or 403', async () => {
    const before = await guardedChecksum(h);
    const failures: string[] = [];
    let cells = 0;
    for (const spec of specs) {
      // Fresh ids and an empty body: an allowed caller stops at 404 or 400, so the sweep changes nothing.
      const url = fillPath(spec.path, { n: '1', name: 'no-such-job' });
      for (const caller of CALLERS) {
        cells++;
        const res = await send(h, spec, url, tokens[caller], {});
        const allowed = allowedRoles(spec).includes(caller);
        const gated = res.status === 401 || (res.status === 403 && res.body.code === 'FORBIDDEN');
        const label = `${spec.method.toUpperCase()} ${spec.path} as ${caller}: ${res.status} ${res.body.code ?? ''}`;
        if (res.status >= 500) failures.push(`5xx ${label}`);
        else if (allowed && gated) failures.push(`should pass the gate: ${label}`);
        else if (!allowed && caller === 'anonymous' && !(res.status === 401 && res.body.code === 'UNAUTHENTICATED')) failures.push(`should be 401: ${label}`);
        else if (!allowed && caller !== 'anonymous' && !(res.status === 403 && res.body.code === 'FORBIDDEN')) failures.push(`should be 403: ${label}`);
      }
    }
    expect(failures).toEqual([]);
    expect(cells).toBe(specs.length * CALLERS.length);
    expect(specs.length).toBeGreaterThanOrEqual(60);
    expect(await guardedChecksum(h)).toBe(before);
    // docs/RELIABILITY.md records this size
    process.stdout.write(`authorisation matrix: ${specs.length} endpoints × ${CALLERS.length} callers = ${cells} cells\n`);
  });

  describe('another tenant’s objects', () => {
    let t: Tenants;
    beforeAll(async () => {
      t = await buildTenants(h);
      tokens = await tokensByRole(h); // building the tenants moved the clock a day on
    });

    /** A valid body per route, so that the request reaches the object lookup (checked against the route's own schema). */
    const validBody = (spec: RouteSpec, merchantId: string): Record<string, unknown> => {
      const key = `${spec.method} ${spec.path}`;
      const bodies: Record<string, Record<string, unknown>> = {
        'patch /pools/:id': { version: 1, nameZh: '改名' },
        'post /pools/:id/reject': { reason: '越权' },
        'post /pools/:id/budget-changes': { deltaFen: 100, reason: '越权' },
        'post /pools/:id/grants': { mode: 'all_matching' },
        'post /pools/:id/merchants': { merchantIds: [merchantId] },
        'post /applications/:id/reject': { reason: '越权' },
        'post /vouchers/:id/revoke': { reason: '越权' },
        'post /settlements/:id/mark-paid': { paymentRef: 'PAY-1' },
        'post /orgs/:id/members': { login: `x${randomUUID().slice(0, 8)}`, password: 'long-enough-1', displayName: 'x', role: 'merchant_cashier' },
      };
      return bodies[key] ?? {};
    };

    /** Which foreign objects each caller must not see, by the path prefix their id goes into. */
    const foreignFor = (caller: Caller): Record<string, string[]> => {
      const issuer = ['issuer_manager', 'issuer_approver', 'issuer_auditor'].includes(caller);
      return {
        '/pools/:id': issuer ? [t.otherPool, t.otherDraftPool] : [t.otherDraftPool],
        '/vouchers/:id': [t.otherConsumerVoucher, t.otherEnterpriseVoucher],
        '/budget-changes/:id': [t.otherBudgetChange],
        '/applications/:id': [t.otherApplication],
        '/grants/:id': [t.otherGrant],
        '/redemptions/:id': [t.otherRedemption],
        '/orgs/:id': [t.otherMerchantOrg, t.otherEnterpriseOrg, t.otherIssuerOrg],
        '/merchants/:id': [],
        '/settlements/:id': issuer ? [t.otherIssuerSettlement, t.otherMerchantSettlement] : [t.otherMerchantSettlement],
      };
    };

    test('when a caller of one tenant names an object of another, then the answer equals the answer for a missing id, and nothing changes', async () => {
      const before = await guardedChecksum(h);
      const failures: string[] = [];
      let probes = 0;
      const computeOrg = await orgIdOf(h, 'mch.compute');
      for (const caller of CALLERS.filter((c) => c !== 'platform_admin' && c !== 'anonymous')) {
        const foreign = foreignFor(caller);
        for (const spec of specs) {
          const prefix = Object.keys(foreign).find((p) => spec.path === p || spec.path.startsWith(`${p}/`));
          if (!prefix) continue;
          const body = validBody(spec, computeOrg);
          if (spec.body && spec.consumes !== 'multipart') {
            const { error } = spec.body.validate(body);
            if (error) failures.push(`test body of ${spec.method} ${spec.path} is invalid: ${error.message}`);
          }
          const multipart: Multipart | undefined = spec.path === '/pools/:id/applications'
            ? { fields: { contractRef: `HT-${randomUUID().slice(0, 6)}`, contractAmountFen: '1000000', providerId: computeOrg } }
            : spec.path === '/pools/:id/ticket-stubs' && spec.method === 'post'
              ? { file: { field: 'file', name: 'stubs.csv', bytes: Buffer.from('code\nSTUB-1\n') } } : undefined;
          for (const objectId of foreign[prefix] as string[]) {
            probes++;
            const params = { id: objectId, n: '1', name: 'x' };
            const missing = { ...params, id: randomUUID() };
            const a = await send(h, spec, fillPath(spec.path, params), tokens[caller], body, multipart);
            const b = await send(h, spec, fillPath(spec.path, missing), tokens[caller], body, multipart);
            const label = `${spec.method.toUpperCase()} ${spec.path} as ${caller} on ${objectId}`;
            if (a.status !== b.status || JSON.stringify(comparable(a.body)) !== JSON.stringify(comparable(b.body))) {
              failures.push(`${label}: foreign ${a.status} ${JSON.stringify(comparable(a.body))} ≠ missing ${b.status} ${JSON.stringify(comparable(b.body))}`);
            }
          }
        }
      }
      expect(failures).toEqual([]);
      expect(probes).toBeGreaterThan(200);
      expect(await guardedChecksum(h)).toBe(before);
      process.stdout.write(`cross-tenant probes: ${probes} (each against a missing id)\n`);
    });

    test('when the owner asks for its own objects, then they are there (the probes above are not vacuous)', async () => {
      const get = (url: string, caller: Caller) => h.http().get(`/api/v1${url}`).set(bearer(tokens[caller] as string));
      expect((await get(`/pools/${t.ownPool}`, 'issuer_auditor')).status).toBe(200);
      expect((await get(`/pools/${t.otherPool}`, 'consumer')).status).toBe(200); // published pools are public to holders
      expect((await get(`/vouchers/${t.ownVoucher}`, 'consumer')).status).toBe(200);
      expect((await get(`/vouchers/${t.ownVoucher}/qr`, 'consumer')).status).toBe(200);
      expect((await get(`/vouchers/${t.ownVoucher}`, 'issuer_auditor')).status).toBe(200);
      expect((await get(`/redemptions/${t.ownRedemption}`, 'merchant_cashier')).status).toBe(200);
      expect((await get(`/redemptions/${t.ownRedemption}`, 'consumer')).status).toBe(200);
      expect((await get(`/settlements/${t.otherIssuerSettlement}`, 'merchant_admin')).status).toBe(200); // its own merchant's batch
      const swjAuditor = await h.login('swj.auditor');
      for (const url of [`/pools/${t.otherPool}`, `/vouchers/${t.otherConsumerVoucher}`, `/applications/${t.otherApplication}`,
        `/grants/${t.otherGrant}`, `/redemptions/${t.otherRedemption}`, `/settlements/${t.otherIssuerSettlement}`]) {
        expect((await h.http().get(`/api/v1${url}`).set(bearer(swjAuditor))).status).toBe(200);
      }
      expect(LOGIN_OF.merchant_admin).toBe('mch.catering');
    });
  });
});
