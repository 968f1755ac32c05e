/** The lottery's public face: other modules import from here only. */
export { LotteryService, ISSUE_BATCH, type DrawReport, type DrawRunResult } from './lottery.service';
export { lotteryRoutes } from './lottery.routes';
export { hmacPads, holderHash, type HmacPads } from './draw-key';
