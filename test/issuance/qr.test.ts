import { createHmac } from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { dynamicMessage, formatDynamicToken, qrStep } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { idemKey, openPool } from '../helpers/factories';

function decodePng(buffer: Buffer): string {
  const png = PNG.sync.read(buffer);
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!result) throw new Error('no QR code found in the PNG');
  return result.data;
}

describe('voucher QR codes', () => {
  let h: Harness;
  let consumer: string;
  let voucherA: { id: string; code: string; qr: { key: string } };
  let voucherB: { id: string; code: string };
  const lookup = (code: string) => h.services.vouchers.tokenVoucher(code);

  beforeAll(async () => {
    h = await startHarness({ demo: true });
    const pool = await openPool(h, { perHolderMax: 2 });
    consumer = await h.login('13800138000');
    voucherA = (await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', idemKey()).send({})).body;
    voucherB = (await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', idemKey()).send({})).body;
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  test('when the PNG QR is decoded, then its token verifies as that voucher', async () => {
    const png = await h.http().get(`/api/v1/vouchers/${voucherA.id}/qr?format=png`).set(bearer(consumer)).buffer(true)
      .parse((res, cb) => { const chunks: Buffer[] = []; res.on('data', (c: Buffer) => chunks.push(c)); res.on('end', () => cb(null, Buffer.concat(chunks))); });
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['cache-control']).toBe('no-store');
    const token = decodePng(png.body as Buffer);
    expect(token).toMatch(/^HQT1\.D\./);
    const v = await h.services.vouchers.qr.verify(token, h.clock.now().getTime(), lookup, voucherA.id);
    expect(v.id).toBe(voucherA.id);
    const svg = await h.http().get(`/api/v1/vouchers/${voucherA.id}/qr`).set(bearer(consumer));
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
  });

  test('when the wallet computes the token offline from its key, then the server accepts it', async () => {
    const step = qrStep(h.clock.now().getTime());
    const mac = createHmac('sha256', Buffer.from(voucherA.qr.key, 'base64url')).update(dynamicMessage(voucherA.code, step)).digest('base64url');
    const token = formatDynamicToken(voucherA.code, step, mac);
    await expect(h.services.vouchers.qr.verify(token, h.clock.now().getTime(), lookup)).resolves.toMatchObject({ id: voucherA.id });
    // ±1 step is accepted, 2 steps is stale
    await expect(h.services.vouchers.qr.verify(token, h.clock.now().getTime() + 30_000, lookup)).resolves.toBeDefined();
    await expect(h.services.vouchers.qr.verify(token, h.clock.now().getTime() + 61_000, lookup)).rejects.toMatchObject({ code: 'TOKEN_STALE' });
  });

  test('when a token is tampered, forged, for another voucher or not a token, then each gets its own code', async () => {
    const now = h.clock.now().getTime();
    const step = qrStep(now);
    const good = (code: string, key: string) => formatDynamicToken(code, step, createHmac('sha256', Buffer.from(key, 'base64url')).update(dynamicMessage(code, step)).digest('base64url'));
    const tokenA = good(voucherA.code, voucherA.qr.key);
    const swapped = tokenA.replace(voucherA.code, voucherB.code);
    await expect(h.services.vouchers.qr.verify(swapped, now, lookup)).rejects.toMatchObject({ code: 'TOKEN_FORGED' });
    const forgedMac = tokenA.slice(0, -4) + (tokenA.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expect(h.services.vouchers.qr.verify(forgedMac, now, lookup)).rejects.toMatchObject({ code: 'TOKEN_FORGED' });
    await expect(h.services.vouchers.qr.verify(tokenA, now, lookup, voucherB.id)).rejects.toMatchObject({ code: 'TOKEN_VOUCHER_MISMATCH' });
    await expect(h.services.vouchers.qr.verify('HQT1.X.nonsense', now, lookup)).rejects.toMatchObject({ code: 'TOKEN_MALFORMED' });
    const staleStep = formatDynamicToken(voucherA.code, step - 5, createHmac('sha256', Buffer.from(voucherA.qr.key, 'base64url')).update(dynamicMessage(voucherA.code, step - 5)).digest('base64url'));
    await expect(h.services.vouchers.qr.verify(staleStep, now, lookup)).rejects.toMatchObject({ code: 'TOKEN_STALE' });
    const keyOfB = h.services.vouchers.qr.voucherKey(voucherB.id);
    await expect(h.services.vouchers.qr.verify(good(voucherA.code, keyOfB), now, lookup)).rejects.toMatchObject({ code: 'TOKEN_FORGED' });
  });

  test('when someone else asks for the QR or the voucher, then 404; the issuer sees the voucher but never the key', async () => {
    const other = await h.login('ent.alpha');
    expect((await h.http().get(`/api/v1/vouchers/${voucherA.id}/qr`).set(bearer(other))).status).toBe(404);
    expect((await h.http().get(`/api/v1/vouchers/${voucherA.id}`).set(bearer(other))).status).toBe(404);
    const issuer = await h.http().get(`/api/v1/vouchers/${voucherA.id}`).set(bearer(await h.login('jxw.auditor')));
    expect(issuer.status).toBe(200);
    expect(issuer.body.qr.key).toBeUndefined();
    const swj = await h.http().get(`/api/v1/vouchers/${voucherA.id}`).set(bearer(await h.login('swj.auditor')));
    expect(swj.status).toBe(404);
  });

  test('when the issuer revokes a voucher, then its balance returns to the pool, it is audited, and revoking again is a no-op', async () => {
    const manager = await h.login('jxw.manager');
    const before = await h.http().get(`/api/v1/pools/${(await h.http().get(`/api/v1/vouchers/${voucherB.id}`).set(bearer(consumer))).body.poolId}`).set(bearer(manager));
    const revoked = await h.http().post(`/api/v1/vouchers/${voucherB.id}/revoke`).set(bearer(manager)).send({ reason: '套现嫌疑' });
    expect(revoked.body).toMatchObject({ status: 'revoked', balanceFen: 0 });
    const again = await h.http().post(`/api/v1/vouchers/${voucherB.id}/revoke`).set(bearer(manager)).send({ reason: '套现嫌疑' });
    expect(again.status).toBe(200);
    const after = await h.http().get(`/api/v1/pools/${before.body.id}`).set(bearer(manager));
    expect(after.body.availableFen).toBe(before.body.availableFen + 9000);
    expect(after.body.reservedFen).toBe(before.body.reservedFen - 9000);
    const holderTry = await h.http().post(`/api/v1/vouchers/${voucherA.id}/revoke`).set(bearer(consumer)).send({ reason: 'x' });
    expect(holderTry.status).toBe(403);
  });

  test('when a holder lists the wallet, then only its own vouchers come back, paged', async () => {
    const page1 = await h.http().get('/api/v1/vouchers?limit=1').set(bearer(consumer));
    expect(page1.body.items).toHaveLength(1);
    const page2 = await h.http().get(`/api/v1/vouchers?limit=1&cursor=${page1.body.nextCursor}`).set(bearer(consumer));
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    const ent = await h.http().get('/api/v1/vouchers').set(bearer(await h.login('ent.gamma')));
    expect(ent.body.items).toEqual([]);
  });
});
