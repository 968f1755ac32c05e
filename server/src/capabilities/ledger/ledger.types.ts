/**
 * Accounts of the double-entry journal (entries of one transaction sum to zero):
 * - `budget` (pool): the funding source, −budget once funded
 * - `available` (pool): not yet reserved
 * - `voucher` (pool, voucher): a voucher's spendable balance   ┐ together: the pool's reserved
 * - `hold` (pool, voucher): B2B amounts awaiting confirmation  ┘
 * - `spent` (pool, merchant): redeemed and owed to the merchant (its payable)
 * - `settled` (pool, merchant): redeemed and settled
 */
export type Account = 'budget' | 'available' | 'voucher' | 'hold' | 'spent' | 'settled';

export type JournalKind =
  | 'fund' | 'budget_change' | 'issue' | 'redeem' | 'hold' | 'hold_confirm' | 'hold_void' | 'reverse' | 'release' | 'settle';

export interface JournalEntry {
  account: Account;
  amountFen: number;
  voucherId?: string;
  merchantId?: string;
}

export interface JournalTxn {
  kind: JournalKind;
  poolId: string;
  refType?: string;
  refId?: string;
  at: Date;
  entries: JournalEntry[];
}
