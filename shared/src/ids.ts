/**
 * Identifier validators shared by server and client: the Unified Social Credit Code
 * (GB 32100-2015), the resident ID number (GB 11643-1999), mainland mobile numbers and
 * the voucher code (Crockford base32 with a mod-37 check symbol).
 */

/** Full-width ASCII (U+FF01..U+FF5E) and the ideographic space become their half-width forms. */
export function toHalfWidth(input: string): string {
  let out = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xff01 && cp <= 0xff5e) out += String.fromCodePoint(cp - 0xfee0);
    else if (cp === 0x3000) out += ' ';
    else out += ch;
  }
  return out;
}

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_LENGTH = 18;
/** Weight of position i (1-based) is 3^(i-1) mod 31. */
const USCC_WEIGHTS = Array.from({ length: USCC_LENGTH - 1 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

export function normalizeUscc(input: string): string {
  return toHalfWidth(input).replace(/[\s-]/g, '').toUpperCase();
}

export function usccCheckChar(first17: string): string | null {
  let sum = 0;
  for (let i = 0; i < USCC_LENGTH - 1; i++) {
    const v = USCC_ALPHABET.indexOf(first17.charAt(i));
    if (v < 0) return null;
    sum += v * (USCC_WEIGHTS[i] as number);
  }
  const check = (31 - (sum % 31)) % 31;
  return USCC_ALPHABET.charAt(check);
}

/** True when `uscc` (already normalised) has 18 legal characters and the right check character. */
export function isValidUscc(uscc: string): boolean {
  if (uscc.length !== USCC_LENGTH) return false;
  if (!/^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$/.test(uscc)) return false;
  return usccCheckChar(uscc.slice(0, 17)) === uscc.charAt(17);
}

const RID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RID_CHECK = '10X98765432';
const PROVINCE_CODES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
  53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
]);

export function normalizeResidentId(input: string): string {
  return toHalfWidth(input).replace(/\s/g, '').toUpperCase();
}

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/**
 * GB 11643: 17 digits + check (digit or X), a known province code, and a real birth date
 * between 1900-01-01 and `today`.
 */
export function isValidResidentId(id: string, today: Date = new Date()): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  if (!PROVINCE_CODES.has(Number(id.slice(0, 2)))) return false;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  if (year < 1900 || !isRealDate(year, month, day)) return false;
  if (Date.UTC(year, month - 1, day) > today.getTime()) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id.charAt(i)) * (RID_WEIGHTS[i] as number);
  return RID_CHECK.charAt(sum % 11) === id.charAt(17);
}

/** The form shown and stored beside the keyed hash: region prefix and last four only. */
export function maskResidentId(id: string): string {
  return id.slice(0, 3) + '*'.repeat(id.length - 7) + id.slice(-4);
}

export function normalizePhone(input: string): string {
  return toHalfWidth(input).replace(/[\s-]/g, '').replace(/^\+?86/, '');
}

export function isValidMainlandMobile(phone: string): boolean {
  return /^1[3-9]\d{9}$/.test(phone);
}

export function maskPhone(phone: string): string {
  return phone.slice(0, 3) + '****' + phone.slice(-4);
}

/** Crockford base32 (no I L O U) and its five extra check symbols for mod 37. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CROCKFORD_CHECK_SYMBOLS = CROCKFORD_ALPHABET + '*~$=U';
/** 16 data symbols = 80 random bits, plus one check symbol. */
export const VOUCHER_CODE_DATA_LENGTH = 16;

export function crockfordCheckSymbol(data: string): string {
  let value = 0n;
  for (const ch of data) {
    const v = CROCKFORD_ALPHABET.indexOf(ch);
    if (v < 0) throw new RangeError('not a Crockford base32 symbol: ' + ch);
    value = value * 32n + BigInt(v);
  }
  return CROCKFORD_CHECK_SYMBOLS.charAt(Number(value % 37n));
}

/** Accepts the decoding aliases Crockford allows (O→0, I/L→1), hyphens and lower case. */
export function normalizeVoucherCode(input: string): string {
  return toHalfWidth(input)
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

export function isValidVoucherCode(code: string): boolean {
  if (code.length !== VOUCHER_CODE_DATA_LENGTH + 1) return false;
  const data = code.slice(0, VOUCHER_CODE_DATA_LENGTH);
  if (![...data].every((c) => CROCKFORD_ALPHABET.includes(c))) return false;
  return crockfordCheckSymbol(data) === code.charAt(VOUCHER_CODE_DATA_LENGTH);
}

/** Builds a voucher code from 10 random bytes (80 bits). */
export function voucherCodeFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 10) throw new RangeError('voucher codes take exactly 10 random bytes');
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  let data = '';
  for (let i = 0; i < VOUCHER_CODE_DATA_LENGTH; i++) {
    data = CROCKFORD_ALPHABET.charAt(Number(value & 31n)) + data;
    value >>= 5n;
  }
  return data + crockfordCheckSymbol(data);
}

/** Groups of four for display: XXXX-XXXX-XXXX-XXXX-C. */
export function formatVoucherCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}
