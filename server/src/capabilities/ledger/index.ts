/** The ledger's public face: other capabilities import from here only. */
export * as ledger from './ledger.service';
export type { Account, JournalEntry, JournalKind, JournalTxn } from './ledger.types';
export { LedgerOpsService, EXPIRY_BATCH_MAX } from './ledger-ops.service';
export { ledgerRoutes } from './ledger.routes';
export { settleBatch, type SettledBatch, type SettledPoolAmount } from './settle';
export { reconcile, RECONCILE_STAGES, type ReconcileOptions, type ReconcileStage } from './reconcile';
