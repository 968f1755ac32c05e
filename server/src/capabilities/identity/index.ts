export { IdentityService, LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS } from './identity.service';
export { identityRoutes } from './identity.routes';
export { TokenService, hasRole, orgsWithRole, type Actor } from './tokens';
