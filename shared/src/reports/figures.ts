/**
 * Arithmetic and formatting of report figures, shared by server and console: rates in basis
 * points, the leverage ratio 拉动比 as a two-decimal string, yuan text for CSV, Asia/Shanghai
 * dates. Integer arithmetic throughout (BigInt where a product could pass 2^53).
 */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** part / whole in basis points, rounded down; null when whole is 0. */
export function rateBp(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Number((BigInt(part) * 10_000n) / BigInt(whole));
}

/** 拉动比 = Σ order amount / Σ discount, two decimals, half up; null when there is no discount. */
export function leverageRatio(orderFen: number, discountFen: number): string | null {
  if (discountFen <= 0) return null;
  const hundredths = (BigInt(orderFen) * 200n + BigInt(discountFen)) / (2n * BigInt(discountFen));
  const whole = hundredths / 100n;
  const frac = hundredths % 100n;
  return `${whole}.${frac.toString().padStart(2, '0')}`;
}

/** fen → "1234.50" (no currency sign, no grouping: for CSV and spreadsheets). */
export function fenToYuanText(fen: number): string {
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "YYYY-MM-DD HH:mm:ss" in Asia/Shanghai. */
export function shanghaiDateTime(at: Date | string): string {
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  return new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** The calendar date `days` after `date` (YYYY-MM-DD; negative goes back). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (YYYY-MM-DD), inclusive of both: 1 when equal. */
export function daysInclusive(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}
