import type { EligibilityRules } from './eligibility';
import type { Funder } from './funders';
import type { Distribution, PoolKind, ValueType } from './presets';

export type PoolStatus = 'draft' | 'pending_approval' | 'scheduled' | 'open' | 'paused' | 'closed' | 'rejected';

export interface ValueRule {
  type: ValueType;
  amountFen: number;
  minSpendFen?: number;
  ratioBp?: number;
}

export interface MerchantScope {
  categories?: string[];
  districts?: string[];
  enrolledOnly?: boolean;
}

export interface Pool {
  id: string;
  issuerId: string;
  kind: PoolKind;
  audience: 'enterprise' | 'consumer';
  nameZh: string;
  nameEn: string | null;
  description: string | null;
  policyRef: string | null;
  budgetFen: number;
  availableFen: number;
  reservedFen: number;
  spentFen: number;
  valueRule: ValueRule;
  distribution: Distribution;
  claimOpensAt: string;
  claimClosesAt: string;
  validDays: number | null;
  validUntil: string | null;
  perHolderMax: number;
  perHolderDailyMax: number | null;
  annualCapFen: number | null;
  eligibility: EligibilityRules;
  merchantScope: MerchantScope;
  bannedCategories: string[];
  redemptionMode: 'direct' | 'confirm';
  reissueUnused: boolean;
  rounds: { opensAt: string; closesAt: string }[];
  funders: Funder[];
  ticketStubRequired: boolean;
  confirmMode: 'immediate' | 'one_click';
  reversalWindowMinutes: number | null;
  lotterySeedHash: string | null;
  status: PoolStatus;
  createdBy: string;
  submittedBy: string | null;
  approvedBy: string | null;
  rejectReason: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** display names, so approval queues can say who submitted (four eyes) */
  createdByName?: string | null;
  submittedByName?: string | null;
  approvedByName?: string | null;
}

export interface BudgetChange {
  id: string;
  poolId: string;
  poolNameZh: string;
  poolNameEn: string | null;
  issuerId: string;
  deltaFen: number;
  reason: string;
  status: 'pending' | 'approved' | 'rejected';
  requestedBy: string;
  requestedByName: string;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface Merchant {
  id: string;
  nameZh: string;
  nameEn: string | null;
  uscc: string;
  district: string | null;
  status: string;
  categories: string[];
}
