/** The published pools a holder could get, each with the server's eligibility verdict for the caller. */
import type { EligibilityResult, Pool } from '@hqt/shared';
import { poolsApi } from '../pools/poolsApi';

export interface PoolWithEligibility {
  pool: Pool;
  eligibility: EligibilityResult;
}

const SHOWN_STATUSES: readonly Pool['status'][] = ['scheduled', 'open', 'paused'];

export async function loadHolderPools(signal: AbortSignal): Promise<PoolWithEligibility[]> {
  const page = await poolsApi.list({}, signal);
  const pools = page.items.filter((p) => SHOWN_STATUSES.includes(p.status));
  return Promise.all(pools.map(async (pool) => ({ pool, eligibility: await poolsApi.eligibility(pool.id, signal) })));
}
