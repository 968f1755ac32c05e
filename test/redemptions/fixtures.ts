/** Builders for redemption tests: vouchers with their wallet key, dynamic tokens, cashiers, redeem calls. */
import { createHmac } from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { dynamicMessage, formatDynamicToken, qrStep } from '@hqt/shared';
import { bearer, type Harness } from '../helpers/harness';
import { idemKey } from '../helpers/factories';
import { sql } from '../../server/src/platform/db';

export interface WalletVoucher {
  id: string;
  code: string;
  poolId: string;
  balanceFen: number;
  qr: { mode: 'dynamic' | 'static'; key?: string; token?: string };
}

/** The dynamic token a consumer's wallet shows at `atMs`, computed offline from the voucher's key. */
export function walletToken(v: Pick<WalletVoucher, 'code' | 'qr'>, atMs: number, stepOffset = 0): string {
  if (!v.qr.key) throw new Error('this voucher has no wallet key (not the holder, or not a consumer voucher)');
  const step = qrStep(atMs) + stepOffset;
  const mac = createHmac('sha256', Buffer.from(v.qr.key, 'base64url')).update(dynamicMessage(v.code, step)).digest('base64url');
  return formatDynamicToken(v.code, step, mac);
}

/** The token of a voucher as a cashier scans it now: dynamic from the wallet, or the static B2B token. */
export function scanToken(h: Harness, v: WalletVoucher): string {
  return v.qr.mode === 'dynamic' ? walletToken(v, h.clock.now().getTime()) : (v.qr.token as string);
}

export function decodeQrPng(buffer: Buffer): string {
  const png = PNG.sync.read(buffer);
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!result) throw new Error('no QR code found in the PNG');
  return result.data;
}

/** The holder's current QR, fetched as a PNG and decoded as a scanner would. */
export async function scanPng(h: Harness, holderLogin: string, voucherId: string): Promise<string> {
  const res = await h.http().get(`/api/v1/vouchers/${voucherId}/qr?format=png`).set(bearer(await h.login(holderLogin))).buffer(true)
    .parse((r, cb) => { const chunks: Buffer[] = []; r.on('data', (c: Buffer) => chunks.push(c)); r.on('end', () => cb(null, Buffer.concat(chunks))); });
  if (res.status !== 200) throw new Error(`qr: ${res.status}`);
  return decodeQrPng(res.body as Buffer);
}

/** Claims a voucher from a first-come pool as `login`; the answer carries the wallet key (or static token). */
export async function claim(h: Harness, poolId: string, login = '13800138000'): Promise<WalletVoucher> {
  return claimAs(h, await h.login(login), poolId);
}

/** A claim with a signed-in token that must succeed (201): the voucher as the wallet gets it. */
export async function claimAs(h: Harness, token: string, poolId: string): Promise<WalletVoucher> {
  const res = await h.http().post(`/api/v1/pools/${poolId}/claims`).set(bearer(token)).set('Idempotency-Key', idemKey()).send({});
  if (res.status !== 201) throw new Error(`claim: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as WalletVoucher;
}

/**
 * Signed-in tokens by login for one test file, signed in again once the ManualClock has moved
 * ten minutes past the last sign-in (access tokens live fifteen). `harness` is read at each
 * call, so the cache can be made before `beforeAll` starts the harness.
 */
export function tokenCache(harness: () => Harness): (login: string, password?: string) => Promise<string> {
  const tokens = new Map<string, { token: string; at: number }>();
  return async (login, password) => {
    const h = harness();
    const now = h.clock.now().getTime();
    const cached = tokens.get(login);
    if (cached && now >= cached.at && now - cached.at < 10 * 60_000) return cached.token;
    const token = await h.login(login, password);
    tokens.set(login, { token, at: now });
    return token;
  };
}

export async function voucherState(h: Harness, id: string): Promise<{ balance_fen: number; held_fen: number; status: string }> {
  const [v] = await h.db.query<{ balance_fen: number; held_fen: number; status: string }>(sql`
    SELECT balance_fen, held_fen, status FROM vouchers WHERE id = ${id}`);
  return v!;
}

export async function poolAvailable(h: Harness, id: string): Promise<number> {
  const [p] = await h.db.query<{ available_fen: number }>(sql`SELECT available_fen FROM pools WHERE id = ${id}`);
  return p!.available_fen;
}

export interface RedeemBody {
  token: string;
  orderAmountFen: number;
  orderRef?: string;
  [k: string]: unknown;
}

export async function redeem(h: Harness, cashier: string, body: RedeemBody, key = idemKey()) {
  return h.http().post('/api/v1/redemptions').set(bearer(cashier)).set('Idempotency-Key', key)
    .send({ orderRef: 'order-' + key.slice(0, 8), ...body });
}

export async function preview(h: Harness, cashier: string, body: RedeemBody) {
  return h.http().post('/api/v1/redemptions/preview').set(bearer(cashier)).send({ orderRef: 'preview', ...body });
}

/** The organisation id of a demo login (its first membership). */
export async function orgIdOf(h: Harness, login: string): Promise<string> {
  const me = await h.http().get('/api/v1/me').set(bearer(await h.login(login)));
  return me.body.memberships[0].orgId as string;
}

/** Adds `n` cashiers to the merchant administered by `adminLogin`; returns their access tokens. */
export async function addCashiers(h: Harness, adminLogin: string, n: number): Promise<string[]> {
  const orgId = await orgIdOf(h, adminLogin);
  const admin = await h.login(adminLogin);
  const prefix = `c${Math.random().toString(36).slice(2, 8)}`;
  const logins: string[] = [];
  for (let i = 0; i < n; i++) {
    const login = `${prefix}.cashier${i}`;
    const res = await h.http().post(`/api/v1/orgs/${orgId}/members`).set(bearer(admin))
      .send({ login, password: 'cashier-pass-1', displayName: `收银员 ${i}`, role: 'merchant_cashier' });
    if (res.status !== 201) throw new Error(`add cashier: ${res.status} ${JSON.stringify(res.body)}`);
    logins.push(login);
  }
  return Promise.all(logins.map((l) => h.login(l, 'cashier-pass-1')));
}
