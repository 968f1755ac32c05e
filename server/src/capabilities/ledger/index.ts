/** The ledger's public face: other capabilities import from here only. */
export * as ledger from './ledger.service';
export type { Account, JournalEntry, JournalKind, JournalTxn } from './ledger.types';
