/** What the settlement endpoints answer. Amounts in fen; a reversal counts negative. */
import type { SETTLEMENT_STATUSES } from './settlement.schemas';

export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

/** One batch: an issuer's debt to one merchant (for co-funded pools: one funder's share) up to a cut-off. */
export interface SettlementBatch {
  id: string;
  issuerId: string;
  issuerNameZh: string;
  merchantId: string;
  merchantNameZh: string;
  /** null when the batch's pools are not co-funded */
  funderCode: string | null;
  funderNameZh: string | null;
  /** the Asia/Shanghai business day that ends at the cut-off */
  businessDay: string;
  /** rows posted before this instant (00:00 Asia/Shanghai) are in the batch */
  cutoffAt: string;
  status: SettlementStatus;
  redemptionCount: number;
  reversalCount: number;
  /** Σ discounts (this funder's shares) of the redemptions */
  redeemedFen: number;
  /** Σ of the reversals, as a positive number */
  reversedFen: number;
  /** what the issuer (funder) pays: redeemed − reversed; negative when the merchant owes */
  amountFen: number;
  /** null when the settlement job created the batch */
  createdBy: string | null;
  createdAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  paidBy: string | null;
  paidAt: string | null;
  paymentRef: string | null;
}

export interface SettlementPoolTotal {
  poolId: string;
  poolNameZh: string;
  lineCount: number;
  amountFen: number;
}

export interface SettlementBatchDetail extends SettlementBatch {
  pools: SettlementPoolTotal[];
}

export interface SettlementRunResult {
  cutoffAt: string;
  groups: number;
  batches: number;
  lines: number;
  /** groups another run had already settled for this cut-off */
  skipped: number;
}
