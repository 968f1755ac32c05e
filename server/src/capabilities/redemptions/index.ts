/** The redemption capability's public face. */
export { RedemptionsService, HOLD_TIMEOUT_MS, reversalDeadline } from './redemptions.service';
export { redemptionsRoutes } from './redemptions.routes';
