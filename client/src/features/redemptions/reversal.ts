/** When a posted redemption can no longer be reversed, as the server decides it (redemptions.service). */
import { nextShanghaiMidnight, type Pool, type Redemption } from '@hqt/shared';

export function reversalDeadline(redemption: Pick<Redemption, 'postedAt'>, pool: Pick<Pool, 'reversalWindowMinutes'> | null): Date | null {
  if (redemption.postedAt === null) return null;
  const posted = new Date(redemption.postedAt);
  if (pool === null || pool.reversalWindowMinutes === null) return nextShanghaiMidnight(posted);
  return new Date(posted.getTime() + pool.reversalWindowMinutes * 60_000);
}

/** Whether the merchant may still try a reversal (the server has the last word). */
export function reversible(redemption: Redemption, pool: Pick<Pool, 'reversalWindowMinutes'> | null, nowMs: number): boolean {
  if (redemption.status !== 'posted' || redemption.mode !== 'direct') return false;
  const deadline = reversalDeadline(redemption, pool);
  return deadline !== null && nowMs < deadline.getTime();
}
