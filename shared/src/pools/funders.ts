/** Co-funding (市区协同): splits an amount by basis-point shares; the remainder goes to the first funder. */
export interface Funder {
  code: string;
  nameZh: string;
  shareBp: number;
}

export function splitByShares(amountFen: number, funders: readonly Funder[]): { code: string; amountFen: number }[] {
  if (funders.length === 0) return [];
  const parts = funders.map((f) => ({ code: f.code, amountFen: Math.floor((amountFen * f.shareBp) / 10_000) }));
  const remainder = amountFen - parts.reduce((s, p) => s + p.amountFen, 0);
  (parts[0] as { amountFen: number }).amountFen += remainder;
  return parts;
}
