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

/**
 * The split of a signed movement: a negative amount is split as its absolute value, negated.
 * Settlement splits a reversal this way (its redemption's shares, negated), so a movement and
 * the movement that undoes it cancel for every funder, and `splitByShares` is unchanged for
 * amounts ≥ 0.
 */
export function splitSignedByShares(amountFen: number, funders: readonly Funder[]): { code: string; amountFen: number }[] {
  if (amountFen >= 0) return splitByShares(amountFen, funders);
  return splitByShares(-amountFen, funders).map((p) => ({ code: p.code, amountFen: -p.amountFen }));
}

/** A pool's money figures, in fen; per funder in `GET /pools/:id/funders`, and for the pool. */
export interface FunderFigures {
  /** the funded budget (fund and budget-change movements) */
  budgetFen: number;
  /** every voucher amount ever issued (gross) */
  issuedFen: number;
  /** what vouchers still hold: balances plus B2B holds */
  reservedFen: number;
  /** redeemed net of reversals, settled or not */
  spentFen: number;
  /** the part of spent paid to merchants by settlement batches */
  settledFen: number;
}

/** One funder's share of a pool (`GET /pools/:id/funders`). */
export interface PoolFunderShare extends FunderFigures {
  /** the funder's code; null for the implicit funder of a pool without co-funders (the issuer) */
  code: string | null;
  nameZh: string;
  shareBp: number;
}

export interface PoolFunders {
  poolId: string;
  /** true when the pool has no co-funders: one implicit funder, the issuer, with 100% */
  implicit: boolean;
  funders: PoolFunderShare[];
  /** the pool's own figures; each equals the sum over `funders` */
  totals: FunderFigures;
}
