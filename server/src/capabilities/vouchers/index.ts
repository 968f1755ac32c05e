export { VouchersService, poolColumnsOf, type IssueRequest } from './vouchers.service';
export { vouchersRoutes, sendStored } from './vouchers.routes';
export { QrTokens, type TokenVoucher } from './qr-tokens';
export type { VoucherRow, VoucherWithPool } from './vouchers.repository';
