import { startHarness, bearer, type Harness } from '../helpers/harness';
import { openPool } from '../helpers/factories';
import { expectReconciled } from '../helpers/reconcile';
import { claim, preview, redeem, scanToken, voucherState, walletToken, type WalletVoucher } from './fixtures';

describe('redemption: QR token attacks', () => {
  let h: Harness;
  let cashier: string;
  let poolId: string;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    cashier = await h.login('mch.catering.cashier');
    poolId = (await openPool(h, { perHolderMax: 20, budgetFen: 20 * 9000 })).id;
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  const attempt = async (token: string, extra: Record<string, unknown> = {}) => redeem(h, cashier, { token, orderAmountFen: 40_000, ...extra });

  test('when the MAC is forged, then TOKEN_FORGED and the voucher is untouched', async () => {
    const v = await claim(h, poolId);
    const good = walletToken(v, h.clock.now().getTime());
    const forged = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const res = await attempt(forged);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('TOKEN_FORGED');
    expect(await voucherState(h, v.id)).toMatchObject({ balance_fen: 9_000, status: 'active' });
  });

  test("when the code in a token is swapped for another voucher's, then TOKEN_FORGED", async () => {
    const a = await claim(h, poolId);
    const b = await claim(h, poolId);
    const tampered = walletToken(a, h.clock.now().getTime()).replace(a.code, b.code);
    expect((await attempt(tampered)).body.code).toBe('TOKEN_FORGED');
    const signedWithOtherKey = walletToken({ code: a.code, qr: b.qr }, h.clock.now().getTime());
    expect((await attempt(signedWithOtherKey)).body.code).toBe('TOKEN_FORGED');
  });

  test('when the token is more than one 30-second step away, then TOKEN_STALE; one step either side is accepted', async () => {
    const v = await claim(h, poolId);
    const now = h.clock.now().getTime();
    for (const offset of [-2, 2, -40]) {
      const res = await attempt(walletToken(v, now, offset));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('TOKEN_STALE');
    }
    for (const offset of [-1, 0, 1]) expect((await preview(h, cashier, { token: walletToken(v, now, offset), orderAmountFen: 40_000 })).status).toBe(200);
  });

  test("when voucher A's token is presented as voucher B, then TOKEN_VOUCHER_MISMATCH", async () => {
    const a = await claim(h, poolId);
    const b = await claim(h, poolId);
    const res = await preview(h, cashier, { token: scanToken(h, a), orderAmountFen: 40_000, voucherId: b.id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('TOKEN_VOUCHER_MISMATCH');
    expect((await attempt(scanToken(h, a), { voucherId: b.id })).body.code).toBe('TOKEN_VOUCHER_MISMATCH');
    expect((await attempt(scanToken(h, a), { voucherId: a.id })).status).toBe(201);
  });

  test('when a used dynamic token is replayed, then a spent single-use voucher answers VOUCHER_NOT_ACTIVE', async () => {
    const v = await claim(h, poolId);
    const token = scanToken(h, v);
    expect((await attempt(token)).status).toBe(201);
    const replay = await attempt(token);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('VOUCHER_NOT_ACTIVE');
  });

  test('when a used dynamic token of a multi-use voucher is replayed within its window, then TOKEN_REPLAYED; a fresh code works', async () => {
    const pool = await openPool(h, { perHolderMax: 5, valueRule: { type: 'balance', amountFen: 10_000 }, budgetFen: 100_000 });
    const v: WalletVoucher = await claim(h, pool.id);
    const token = scanToken(h, v);
    expect((await redeem(h, cashier, { token, orderAmountFen: 1_000 })).status).toBe(201);
    const replay = await redeem(h, cashier, { token, orderAmountFen: 1_000 });
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('TOKEN_REPLAYED');
    expect((await preview(h, cashier, { token, orderAmountFen: 1_000 })).body.code).toBe('TOKEN_REPLAYED');
    h.clock.advanceMs(30_000);
    const fresh = await redeem(h, await h.login('mch.catering.cashier'), { token: scanToken(h, v), orderAmountFen: 1_000 });
    expect(fresh.status).toBe(201);
    expect(await voucherState(h, v.id)).toMatchObject({ balance_fen: 8_000 });
  });

  test('when the payload is not a token, or a static token is forged for an enterprise voucher, then TOKEN_MALFORMED / TOKEN_FORGED', async () => {
    const bad = await attempt('https://example.com/pay?x=1');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('TOKEN_MALFORMED');
    const b2b = await openPool(h, { kind: 'professional_service', budgetFen: 1_000_000, valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 20_000 } });
    const ev = await claim(h, b2b.id, 'ent.beta');
    const staticToken = ev.qr.token as string;
    const forged = staticToken.slice(0, -3) + (staticToken.endsWith('AAA') ? 'BBB' : 'AAA');
    const res = await redeem(h, await h.login('mch.compute.cashier'), { token: forged, orderAmountFen: 10_000 });
    expect(res.body.code).toBe('TOKEN_FORGED');
    const consumerAsStatic = `HQT1.S.${(await claim(h, poolId)).code}.${staticToken.split('.')[3]}`;
    expect((await attempt(consumerAsStatic)).body.code).toBe('TOKEN_FORGED');
    const unauth = await h.http().post('/api/v1/redemptions/preview').set(bearer(await h.login('13800138000'))).send({ token: staticToken, orderAmountFen: 1, orderRef: 'x' });
    expect(unauth.status).toBe(403);
  });
});
