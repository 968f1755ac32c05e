/**
 * Display formatting and input parsing. Money arrives as integer fen (分) and is never
 * turned into a float; dates and business days are shown and entered in Asia/Shanghai,
 * whatever the device's zone.
 */
import { formatFen as formatFenShared } from '@hqt/shared';

export const SHANGHAI_TIME_ZONE = 'Asia/Shanghai';
const SHANGHAI_OFFSET = '+08:00';
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
/** The most a money field may hold: ¥10 billion, as the shared schemas allow. */
const YUAN_DIGITS_MAX = 8;

/** 123456 → "¥1,234.56"; -5 → "-¥0.05". Integer arithmetic only. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`formatFen expects a safe integer, got ${fen}`);
  return formatFenShared(fen);
}

/** "1,234.5" or "1234.56" → fen; null for anything else (negative, 3 decimals, letters). */
export function parseYuan(input: string): number | null {
  const text = input.trim().replace(/[,，\s]/g, '').replace(/^¥/, '');
  const match = new RegExp(`^(\\d{1,${YUAN_DIGITS_MAX}})(?:\\.(\\d{1,2}))?$`).exec(text);
  if (match === null) return null;
  const yuan = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  return yuan * 100 + cents;
}

/** 123450 → "1234.5"; 9000 → "90". For prefilling money inputs. */
export function fenToYuanInput(fen: number): string {
  const yuan = Math.trunc(fen / 100);
  const cents = fen % 100;
  if (cents === 0) return String(yuan);
  return `${yuan}.${String(cents).padStart(2, '0').replace(/0$/, '')}`;
}

/** "30" or "30.5" (percent) → basis points; null for anything else. */
export function parsePercentToBp(input: string): number | null {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(input.trim().replace(/%$/, ''));
  if (match === null) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** 3000 → "30"; 3050 → "30.5". */
export function bpToPercentInput(bp: number): string {
  return fenToYuanInput(bp);
}

/** 3000 → "30%"; 3050 → "30.5%". */
export function formatBp(bp: number): string {
  return `${bpToPercentInput(bp)}%`;
}

/** Whole non-negative number typed by a person ("12", " 3 "); null otherwise. */
export function parseCount(input: string): number | null {
  const text = input.trim();
  if (!/^\d{1,9}$/.test(text)) return null;
  return Number(text);
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

/** Clock time in Shanghai with seconds, e.g. "08:00:05". */
export function formatTime(value: DateInput, locale: string): string {
  return formatter(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(toDate(value));
}

/** The Shanghai business day an instant falls on, as "YYYY-MM-DD". */
export function shanghaiBusinessDay(value: DateInput): string {
  return new Date(toDate(value).getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** An instant as the value of an <input type="datetime-local"> in Shanghai time ("YYYY-MM-DDTHH:mm"). */
export function toShanghaiInput(value: DateInput): string {
  return new Date(toDate(value).getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16);
}

/** A datetime-local value read as Shanghai time → ISO instant; null when it is not a time. */
export function fromShanghaiInput(input: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(input)) return null;
  const date = new Date(`${input.length === 16 ? `${input}:00` : input}${SHANGHAI_OFFSET}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The last moment (23:59:59) of a Shanghai calendar day "YYYY-MM-DD", as an ISO instant; null when invalid. */
export function endOfShanghaiDay(day: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  return fromShanghaiInput(`${day}T23:59:59`);
}
