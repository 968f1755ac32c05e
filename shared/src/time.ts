/** Business time follows Asia/Shanghai (UTC+8, no daylight saving). */
export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** The Asia/Shanghai calendar date of an instant, as YYYY-MM-DD. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

export function shanghaiYear(at: Date): number {
  return Number(shanghaiDate(at).slice(0, 4));
}

/** The instant an Asia/Shanghai business day (YYYY-MM-DD) starts. */
export function shanghaiDayStart(date: string): Date {
  return new Date(new Date(`${date}T00:00:00Z`).getTime() - SHANGHAI_OFFSET_MS);
}

/** The instant the business day after the one containing `at` starts (00:00 Asia/Shanghai). */
export function nextShanghaiMidnight(at: Date): Date {
  const start = shanghaiDayStart(shanghaiDate(at));
  return new Date(start.getTime() + 24 * 3600 * 1000);
}
