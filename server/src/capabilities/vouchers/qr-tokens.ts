/**
 * Signs and verifies voucher QR tokens. Consumer vouchers carry a dynamic token (HMAC of
 * the voucher's own key and the 30-second step), B2B vouchers a static token signed by the
 * server. Nothing in a token is trusted beyond what its MAC proves.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  DYNAMIC_MAC_LENGTH, QR_STEP_TOLERANCE, STATIC_MAC_LENGTH, dynamicMessage, formatDynamicToken, formatStaticToken,
  parseToken, qrStep,
} from '@hqt/shared';
import { HttpProblem } from '../../app/problem';

function mac(key: Buffer | string, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface TokenVoucher {
  id: string;
  code: string;
  holderKind: 'enterprise' | 'consumer';
}

export class QrTokens {
  constructor(private readonly secret: string) {}

  /** The voucher's own key, derived so nothing secret is stored per voucher. */
  voucherKey(voucherId: string): string {
    return createHmac('sha256', this.secret).update(`hqt-voucher-key:${voucherId}`).digest('base64url');
  }

  dynamicToken(v: TokenVoucher, atMs: number): string {
    const step = qrStep(atMs);
    return formatDynamicToken(v.code, step, mac(Buffer.from(this.voucherKey(v.id), 'base64url'), dynamicMessage(v.code, step)));
  }

  staticToken(v: TokenVoucher): string {
    return formatStaticToken(v.code, mac(this.secret, `hqt-static:${v.code}`));
  }

  tokenFor(v: TokenVoucher, atMs: number): string {
    return v.holderKind === 'consumer' ? this.dynamicToken(v, atMs) : this.staticToken(v);
  }

  /**
   * Verifies a token against the voucher its code names (looked up by the caller).
   * Order: well-formed → MAC → freshness → the voucher the caller expected.
   */
  async verify(
    token: string, atMs: number, lookup: (code: string) => Promise<TokenVoucher | null>, expectedVoucherId?: string,
  ): Promise<TokenVoucher> {
    const parsed = parseToken(token);
    if (!parsed) throw new HttpProblem('TOKEN_MALFORMED');
    const voucher = await lookup(parsed.code);
    if (!voucher) throw new HttpProblem('TOKEN_FORGED', 'No voucher has that code');
    if (parsed.mode === 'dynamic') {
      if (voucher.holderKind !== 'consumer') throw new HttpProblem('TOKEN_FORGED', 'This voucher has no dynamic code');
      const expected = mac(Buffer.from(this.voucherKey(voucher.id), 'base64url'), dynamicMessage(parsed.code, parsed.step)).slice(0, DYNAMIC_MAC_LENGTH);
      if (!sameMac(expected, parsed.mac)) throw new HttpProblem('TOKEN_FORGED');
      if (Math.abs(qrStep(atMs) - parsed.step) > QR_STEP_TOLERANCE) throw new HttpProblem('TOKEN_STALE');
    } else {
      if (voucher.holderKind !== 'enterprise') throw new HttpProblem('TOKEN_FORGED', 'This voucher needs its dynamic code');
      const expected = mac(this.secret, `hqt-static:${parsed.code}`).slice(0, STATIC_MAC_LENGTH);
      if (!sameMac(expected, parsed.mac)) throw new HttpProblem('TOKEN_FORGED');
    }
    if (expectedVoucherId && expectedVoucherId !== voucher.id) throw new HttpProblem('TOKEN_VOUCHER_MISMATCH');
    return voucher;
  }
}
