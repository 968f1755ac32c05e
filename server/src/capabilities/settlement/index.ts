/** The settlement capability's public face. */
export { SettlementService, SETTLEMENT_GROUPS_PER_RUN_MAX, SETTLEMENT_ROWS_PER_GROUP_MAX } from './settlement.service';
export { settlementRoutes } from './settlement.routes';
