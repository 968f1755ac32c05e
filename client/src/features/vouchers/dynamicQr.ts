/**
 * The consumer's dynamic QR token, computed in the browser with WebCrypto exactly as
 * shared/src/vouchers/qr.ts specifies, so it works offline like a payment code:
 *   HQT1.D.<code>.<step>.<first 16 chars of base64url(HMAC-SHA256(key, "<code>.<step>"))>
 * with step = floor(unix seconds / 30) and key = the voucher's base64url-decoded key.
 */
import { QR_STEP_SECONDS, dynamicMessage, formatDynamicToken, qrStep } from '@hqt/shared';

export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64Url(buffer: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** WebCrypto's subtle API exists only in secure contexts (https, or localhost). */
export function webCryptoAvailable(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

const keys = new Map<string, Promise<CryptoKey>>();

function importKey(keyBase64Url: string): Promise<CryptoKey> {
  let key = keys.get(keyBase64Url);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', base64UrlToBytes(keyBase64Url), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(keyBase64Url, key);
  }
  return key;
}

export interface DynamicToken {
  token: string;
  step: number;
}

export async function dynamicTokenAt(code: string, keyBase64Url: string, atMs: number): Promise<DynamicToken> {
  const step = qrStep(atMs);
  const key = await importKey(keyBase64Url);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(dynamicMessage(code, step)));
  return { token: formatDynamicToken(code, step, bytesToBase64Url(mac)), step };
}

/** Whole seconds until the next step begins (30 … 1). */
export function secondsLeftInStep(atMs: number): number {
  return QR_STEP_SECONDS - (Math.floor(atMs / 1000) % QR_STEP_SECONDS);
}
