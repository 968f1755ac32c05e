/** The eligible-list capability's public face. */
export { EligibleListService } from './eligible-list.service';
export { eligibleListRoutes, ELIGIBLE_LIST_UPLOAD_PATH } from './eligible-list.routes';
