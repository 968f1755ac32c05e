/** Money is integer fen (分). Ratios are basis points (1 bp = 0.01%). */

/** The largest amount any single field may carry: ¥10 billion, far below 2^53. */
export const FEN_MAX = 1_000_000_000_000;

export function assertFen(value: number, name = 'amount'): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > FEN_MAX) {
    throw new RangeError(`${name} must be a whole number of fen between 0 and ${FEN_MAX}`);
  }
  return value;
}

/** `amountFen × bp / 10000`, rounded down so a discount never exceeds its rule. */
export function applyBasisPoints(amountFen: number, bp: number): number {
  return Math.floor((amountFen * bp) / 10_000);
}

export function yuanToFen(yuan: number): number {
  return Math.round(yuan * 100);
}

export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}
