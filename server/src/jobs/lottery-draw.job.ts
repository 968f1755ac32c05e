import type { JobDefinition } from '../platform/jobs';
import type { LotteryService } from '../capabilities/lottery';

/** Draws lottery rounds whose entries have closed: winners get vouchers, the seed is revealed. */
export function lotteryDrawJob(lottery: LotteryService): JobDefinition {
  return {
    name: 'lottery-draw',
    schedule: '* * * * *',
    description: 'draw lottery rounds whose entries closed (verifiable: smallest HMAC-SHA256(seed, entryId) win)',
    async run() {
      const r = await lottery.drawDue();
      return { rows: r.issued, detail: { ...r } };
    },
  };
}
