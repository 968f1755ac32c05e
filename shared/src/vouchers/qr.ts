/**
 * The QR token format, shared by the server (which signs and verifies) and the wallet
 * (which computes dynamic tokens offline from the voucher's own key).
 * - dynamic (consumer): `HQT1.D.<code>.<step>.<mac>`; step = floor(unix seconds / 30);
 *   mac = first 16 chars of base64url(HMAC-SHA256(voucherKey, "<code>.<step>"))
 * - static (B2B): `HQT1.S.<code>.<mac>`; mac signed by the server key, bound to the code
 */
export const QR_STEP_SECONDS = 30;
export const QR_STEP_TOLERANCE = 1;
export const DYNAMIC_MAC_LENGTH = 16;
export const STATIC_MAC_LENGTH = 22;

export type ParsedToken =
  | { mode: 'dynamic'; code: string; step: number; mac: string }
  | { mode: 'static'; code: string; mac: string };

const CODE = '[0-9A-HJKMNP-TV-Z]{16}[0-9A-HJKMNP-TV-Z*~$=U]';
const DYNAMIC_RE = new RegExp(`^HQT1\\.D\\.(${CODE})\\.(\\d{1,12})\\.([A-Za-z0-9_-]{${DYNAMIC_MAC_LENGTH}})$`);
const STATIC_RE = new RegExp(`^HQT1\\.S\\.(${CODE})\\.([A-Za-z0-9_-]{${STATIC_MAC_LENGTH}})$`);

export function qrStep(atMs: number): number {
  return Math.floor(atMs / 1000 / QR_STEP_SECONDS);
}

export function dynamicMessage(code: string, step: number): string {
  return `${code}.${step}`;
}

export function formatDynamicToken(code: string, step: number, mac: string): string {
  return `HQT1.D.${code}.${step}.${mac.slice(0, DYNAMIC_MAC_LENGTH)}`;
}

export function formatStaticToken(code: string, mac: string): string {
  return `HQT1.S.${code}.${mac.slice(0, STATIC_MAC_LENGTH)}`;
}

export function parseToken(token: string): ParsedToken | null {
  if (token.length > 80) return null;
  const d = DYNAMIC_RE.exec(token);
  if (d) return { mode: 'dynamic', code: d[1] as string, step: Number(d[2]), mac: d[3] as string };
  const s = STATIC_RE.exec(token);
  if (s) return { mode: 'static', code: s[1] as string, mac: s[2] as string };
  return null;
}
