import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { openPool, poolEquation } from '../helpers/factories';

/** A tiny but real PDF header and trailer; the server decides the type by these bytes. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

const COMPUTE_POOL = {
  kind: 'compute', distribution: 'application', budgetFen: 5_000_000,
  valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 500_000 }, annualCapFen: 700_000, perHolderMax: 10,
};

describe('applications (申请 + 审核)', () => {
  let h: Harness;
  let computeMerchantId: string;
  let cateringMerchantId: string;
  let alphaId: string;

  async function orgOf(login: string): Promise<string> {
    const me = await h.http().get('/api/v1/me').set(bearer(await h.login(login)));
    return me.body.memberships[0].orgId as string;
  }

  function apply(token: string, poolId: string, fields: Record<string, string>, files: { name: string; bytes: Buffer; type?: string }[] = []) {
    let req = h.http().post(`/api/v1/pools/${poolId}/applications`).set(bearer(token));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    for (const f of files) req = req.attach('attachments', f.bytes, { filename: f.name, contentType: f.type ?? 'application/pdf' });
    return req;
  }

  const contract = (ref: string, amountFen: number, providerId = computeMerchantId) =>
    ({ contractRef: ref, contractAmountFen: String(amountFen), providerId, note: '算力采购合同' });

  beforeAll(async () => {
    h = await startHarness({ demo: true });
    computeMerchantId = await orgOf('mch.compute');
    cateringMerchantId = await orgOf('mch.catering');
    alphaId = await orgOf('ent.alpha');
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  test('when an enterprise applies with a PDF and the approver grants, then the voucher is min(ratio × contract, cap, annual remainder) and bound to the provider', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const alpha = await h.login('ent.alpha');
    const approver = await h.login('jxw.approver');

    const first = await apply(alpha, pool.id, contract('HT-2025-001', 1_000_000), [{ name: '合同.pdf', bytes: PDF }]);
    expect(first.status).toBe(201);
    expect(first.body.status).toBe('pending');
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    expect(first.body.attachments).toEqual([{ n: 1, name: '合同.pdf', sizeBytes: PDF.length, sha256, mediaType: 'application/pdf' }]);
    expect(readFileSync(path.join(h.config.dataDir, 'files', sha256))).toEqual(PDF);
    const download = await h.http().get(`/api/v1/applications/${first.body.id}/attachments/1`).set(bearer(alpha)).buffer(true)
      .parse((res, cb) => { const parts: Buffer[] = []; res.on('data', (c: Buffer) => parts.push(c)); res.on('end', () => cb(null, Buffer.concat(parts))); });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toContain('application/pdf');
    expect(download.body).toEqual(PDF);

    // ratio wins: 30% of ¥10,000 = ¥3,000 (cap ¥5,000, annual ¥7,000 left)
    const approved = await h.http().post(`/api/v1/applications/${first.body.id}/approve`).set(bearer(approver));
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', grantedFen: 300_000, decidedBy: expect.any(String) });
    const voucher = await h.http().get(`/api/v1/vouchers/${approved.body.voucherId}`).set(bearer(alpha));
    expect(voucher.body).toMatchObject({ amountFen: 300_000, providerId: computeMerchantId, source: 'application', holderId: alphaId, status: 'active' });

    // annual remainder wins: 30% of ¥30,000 = ¥9,000 > cap ¥5,000 > ¥4,000 left of the ¥7,000 annual cap
    const second = await apply(alpha, pool.id, contract('HT-2025-002', 3_000_000));
    const grantedSecond = await h.http().post(`/api/v1/applications/${second.body.id}/approve`).set(bearer(approver));
    expect(grantedSecond.body.grantedFen).toBe(400_000);

    // the voucher cap wins for another enterprise: 30% of ¥20,000 = ¥6,000 > cap ¥5,000
    const beta = await h.login('ent.beta');
    const third = await apply(beta, pool.id, contract('B-7', 2_000_000));
    const grantedThird = await h.http().post(`/api/v1/applications/${third.body.id}/approve`).set(bearer(approver));
    expect(grantedThird.body.grantedFen).toBe(500_000);

    // the annual cap is used up: the approval is refused and the application stays pending
    const fourth = await apply(alpha, pool.id, contract('HT-2025-003', 100_000));
    const refused = await h.http().post(`/api/v1/applications/${fourth.body.id}/approve`).set(bearer(approver));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ANNUAL_CAP_REACHED');
    expect((await h.http().get(`/api/v1/applications/${fourth.body.id}`).set(bearer(alpha))).body.status).toBe('pending');

    const eq = await poolEquation(h, pool.id);
    expect(eq.available).toBe(5_000_000 - 1_200_000);
    expect(eq.journal).toEqual({ budget: 5_000_000, available: 3_800_000, reserved: 1_200_000, spent: 0 });
  });

  test('when an application is approved twice, then the second answer is 409 APPLICATION_DECIDED and one voucher exists', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const approver = await h.login('jxw.approver');
    const applied = await apply(await h.login('ent.gamma'), pool.id, contract('G-1', 500_000));
    const [a, b] = await Promise.all([1, 2].map(() => h.http().post(`/api/v1/applications/${applied.body.id}/approve`).set(bearer(approver))));
    expect([a!.status, b!.status].sort()).toEqual([200, 409]);
    expect([a!.body.code, b!.body.code]).toContain('APPLICATION_DECIDED');
    const again = await h.http().post(`/api/v1/applications/${applied.body.id}/reject`).set(bearer(approver)).send({ reason: 'late' });
    expect(again.body.code).toBe('APPLICATION_DECIDED');
    const vouchers = await h.http().get(`/api/v1/vouchers?poolId=${pool.id}`).set(bearer(approver));
    expect(vouchers.body.items).toHaveLength(1);
  });

  test('when the same contract is applied for twice, then 409 APPLICATION_DUPLICATE; after a rejection it may be applied for again', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const alpha = await h.login('ent.alpha');
    const first = await apply(alpha, pool.id, contract('DUP-001', 1_000_000));
    expect(first.status).toBe(201);
    const dup = await apply(alpha, pool.id, contract(' dup-001', 2_000_000));
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('APPLICATION_DUPLICATE');
    const rejected = await h.http().post(`/api/v1/applications/${first.body.id}/reject`).set(bearer(await h.login('jxw.approver')))
      .send({ reason: '合同未盖章 contract not stamped' });
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectReason: '合同未盖章 contract not stamped', voucherId: null });
    expect((await apply(alpha, pool.id, contract('DUP-001', 1_000_000))).status).toBe(201);
  });

  test('when the provider is the applicant itself, not a merchant, or outside the pool scope, then 400 PROVIDER_INVALID', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const alpha = await h.login('ent.alpha');
    const self = await apply(alpha, pool.id, contract('P-1', 1_000_000, alphaId));
    expect(self.status).toBe(400);
    expect(self.body.code).toBe('PROVIDER_INVALID');
    const notMerchant = await apply(alpha, pool.id, contract('P-2', 1_000_000, await orgOf('ent.beta')));
    expect(notMerchant.body.code).toBe('PROVIDER_INVALID');
    const outOfScope = await apply(alpha, pool.id, contract('P-3', 1_000_000, cateringMerchantId));
    expect(outOfScope.body.code).toBe('PROVIDER_INVALID');
    expect(outOfScope.body.detail).toContain('compute_provider');
  });

  test('when an attachment is not really a PDF/JPG/PNG, too large, or one too many, then 400 ATTACHMENT_INVALID and nothing is stored', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const alpha = await h.login('ent.alpha');
    const renamed = await apply(alpha, pool.id, contract('F-1', 1_000_000), [{ name: 'contract.pdf', bytes: Buffer.from('MZ\x90\x00 an executable') }]);
    expect(renamed.status).toBe(400);
    expect(renamed.body.code).toBe('ATTACHMENT_INVALID');
    expect(renamed.body.detail).toContain('contract.pdf');
    const pngAsPdf = await apply(alpha, pool.id, contract('F-2', 1_000_000), [{ name: 'scan.pdf', bytes: PNG }]);
    expect(pngAsPdf.body.code).toBe('ATTACHMENT_INVALID');
    const tooBig = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024)]);
    const big = await apply(alpha, pool.id, contract('F-3', 1_000_000), [{ name: 'big.pdf', bytes: tooBig }]);
    expect(big.status).toBe(400);
    expect(big.body.code).toBe('ATTACHMENT_INVALID');
    const six = await apply(alpha, pool.id, contract('F-4', 1_000_000), Array.from({ length: 6 }, (_, i) => ({ name: `p${i}.pdf`, bytes: PDF })));
    expect(six.body.code).toBe('ATTACHMENT_INVALID');
    const png = await apply(alpha, pool.id, contract('F-5', 1_000_000), [{ name: 'scan.png', bytes: PNG, type: 'image/png' }]);
    expect(png.status).toBe(201);
    expect(png.body.attachments[0].mediaType).toBe('image/png');
    const list = await h.http().get(`/api/v1/applications?poolId=${pool.id}`).set(bearer(alpha));
    expect(list.body.items.map((a: { contractRef: string }) => a.contractRef)).toEqual(['F-5']);
    expect(existsSync(path.join(h.config.dataDir, 'files', createHash('sha256').update(tooBig).digest('hex')))).toBe(false);
  });

  test('when a field is missing or the amount is not whole fen, then 400 VALIDATION_FAILED names the field', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const res = await apply(await h.login('ent.alpha'), pool.id, { contractRef: 'V-1', contractAmountFen: '12.5', providerId: computeMerchantId });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.contractAmountFen']);
  });

  test('when another enterprise or another issuer asks for an application, then 404; the approver of the issuer sees it', async () => {
    const pool = await openPool(h, COMPUTE_POOL);
    const applied = await apply(await h.login('ent.alpha'), pool.id, contract('S-1', 1_000_000), [{ name: 'c.pdf', bytes: PDF }]);
    const beta = await h.login('ent.beta');
    expect((await h.http().get(`/api/v1/applications/${applied.body.id}`).set(bearer(beta))).status).toBe(404);
    expect((await h.http().get(`/api/v1/applications/${applied.body.id}/attachments/1`).set(bearer(beta))).status).toBe(404);
    const betaList = await h.http().get('/api/v1/applications').set(bearer(beta));
    expect(betaList.body.items.some((a: { id: string }) => a.id === applied.body.id)).toBe(false);
    const swj = await h.login('swj.approver');
    expect((await h.http().get(`/api/v1/applications/${applied.body.id}`).set(bearer(swj))).status).toBe(404);
    expect((await h.http().post(`/api/v1/applications/${applied.body.id}/approve`).set(bearer(swj))).status).toBe(404);
    const jxw = await h.http().get(`/api/v1/applications?status=pending&poolId=${pool.id}`).set(bearer(await h.login('jxw.auditor')));
    expect(jxw.body.items.map((a: { id: string }) => a.id)).toEqual([applied.body.id]);
    const manager = await h.http().post(`/api/v1/applications/${applied.body.id}/approve`).set(bearer(await h.login('jxw.manager')));
    expect(manager.status).toBe(403);
  });

  test('when the pool is not an application pool or its window has closed, then the application is refused', async () => {
    const grab = await openPool(h, { ...COMPUTE_POOL, kind: 'professional_service', distribution: 'first_come', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 20_000 } });
    const alpha = await h.login('ent.alpha');
    expect((await apply(alpha, grab.id, contract('W-1', 1_000_000))).body.code).toBe('WRONG_DISTRIBUTION');
    const now = h.clock.now().getTime();
    const later = await openPool(h, { ...COMPUTE_POOL, claimOpensAt: new Date(now + 3_600_000).toISOString(), claimClosesAt: new Date(now + 7_200_000).toISOString() });
    expect((await apply(alpha, later.id, contract('W-2', 1_000_000))).body.code).toBe('CLAIM_WINDOW_CLOSED');
  });
});
