/** The registry `npm run bench -- <name>` dispatches on. */
import type { BenchOptions } from './lib';
import { baselineBench } from './baseline';
import { claimEngineBench } from './claim-engine';
import { lotteryBench } from './lottery';
import { pgFloorBench } from './pg-floor';
import { redeemBench } from './redeem';
import { reportsBench } from './reports';
import { claimStormBench, embeddedBench } from './storm-bench';
import { voucherIdsBench } from './voucher-ids';
import { voucherInsertBench } from './voucher-insert';

export interface Benchmark {
  /** runs the built server (server/dist), so the runner builds it first */
  needsBuild: boolean;
  run(options: BenchOptions): Promise<void>;
}

export const BENCHMARKS: Record<string, Benchmark> = {
  baseline: { needsBuild: true, run: baselineBench },
  'pg-floor': { needsBuild: false, run: pgFloorBench },
  'claim-engine': { needsBuild: false, run: claimEngineBench },
  'claim-storm': { needsBuild: true, run: claimStormBench },
  redeem: { needsBuild: true, run: redeemBench },
  lottery: { needsBuild: true, run: lotteryBench },
  reports: { needsBuild: true, run: reportsBench },
  embedded: { needsBuild: true, run: embeddedBench },
  'voucher-insert': { needsBuild: false, run: voucherInsertBench },
  'voucher-ids': { needsBuild: false, run: voucherIdsBench },
};
