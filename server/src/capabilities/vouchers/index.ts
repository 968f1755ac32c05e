export { VouchersService, poolColumnsOf, type IssueRequest, type BatchIssueRequest, type IssueOutcome } from './vouchers.service';
export { BatchDoesNotFit, ClaimBatcher, CLAIM_BATCHING_OFF, type ClaimBatchingOptions } from './claim-batcher';
export { vouchersRoutes, sendStored } from './vouchers.routes';
export { QrTokens, type TokenVoucher } from './qr-tokens';
export type { VoucherRow, VoucherWithPool } from './vouchers.repository';
