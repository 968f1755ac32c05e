import type { GRANT_ROW_STATUSES, GRANT_SKIP_REASONS, GRANT_STATUSES } from './grants.schemas';

export type GrantStatus = (typeof GRANT_STATUSES)[number];
export type GrantRowStatus = (typeof GRANT_ROW_STATUSES)[number];
export type GrantSkipReason = (typeof GRANT_SKIP_REASONS)[number];

/** A grant batch and its progress (`GET /grants/:id`). */
export interface GrantBatch {
  id: string;
  poolId: string;
  mode: 'csv' | 'all_matching';
  fileName: string | null;
  status: GrantStatus;
  total: number;
  processed: number;
  granted: number;
  skipped: number;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface TicketStubImport {
  /** codes newly stored */
  imported: number;
  /** codes the pool already had (the import is idempotent) */
  alreadyPresent: number;
  /** lines in the file, blank lines excluded */
  total: number;
}

export interface TicketStubSummary {
  poolId: string;
  imported: number;
  used: number;
  partnerKey: { fingerprint: string; setAt: string } | null;
}

export interface PartnerKeySet {
  poolId: string;
  fingerprint: string;
  setAt: string;
  /** only when the server generated the key: shown once */
  key?: string;
}
