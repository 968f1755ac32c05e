/**
 * Display formatting. Money arrives as integer fen (分) and is never turned into a
 * float; dates and business days are shown in Asia/Shanghai, whatever the device's zone.
 */

export const SHANGHAI_TIME_ZONE = 'Asia/Shanghai';

const groupFormat = new Intl.NumberFormat('en-US', { useGrouping: true, maximumFractionDigits: 0 });

/** 123456 → "¥1,234.56"; -5 → "-¥0.05". Integer arithmetic only. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`formatFen expects a safe integer, got ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const absFen = Math.abs(fen);
  const yuan = Math.trunc(absFen / 100);
  const cents = absFen % 100;
  return `${sign}¥${groupFormat.format(yuan)}.${String(cents).padStart(2, '0')}`;
}

type DateInput = Date | string | number;

function toDate(value: DateInput): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${String(value)}`);
  return date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let cached = formatters.get(key);
  if (cached === undefined) {
    cached = new Intl.DateTimeFormat(locale, { ...options, timeZone: SHANGHAI_TIME_ZONE });
    formatters.set(key, cached);
  }
  return cached;
}

/** Date and time in Shanghai, e.g. "2025年3月1日 08:00" (zh-CN) or "Mar 1, 2025, 8:00 AM" (en). */
export function formatDateTime(value: DateInput, locale: string): string {
  return formatter(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(toDate(value));
}

/** Calendar date in Shanghai, e.g. "2025年3月1日" or "Mar 1, 2025". */
export function formatDate(value: DateInput, locale: string): string {
  return formatter(locale, { dateStyle: 'medium' }).format(toDate(value));
}

/** The Shanghai business day an instant falls on, as "YYYY-MM-DD". */
export function shanghaiBusinessDay(value: DateInput): string {
  const parts = formatter('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(toDate(value));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
