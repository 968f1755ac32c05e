export { PoolsService, holderFor, toPool, type Holder, ISSUER_READ_ROLES } from './pools.service';
export { poolsRoutes } from './pools.routes';
export type { PoolRow } from './pools.repository';
export { isEnrolled, findPool } from './pools.repository';
export { currentRound, nextRound, openRound, roundShareFen, roundWindows, type RoundWindow } from './rounds';
