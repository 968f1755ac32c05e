/** The reports capability's public face. */
export { ReportsService, ROLLUP_DAYS_PER_RUN_MAX, ROLLUP_MARGIN_MS } from './reports.service';
export { reportsRoutes } from './reports.routes';
