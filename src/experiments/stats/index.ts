/**
 * experiments/stats/: pure statistics and closed forms (no I/O): Wilson intervals, a sweep's
 * goodness of fit, Nakamoto's double-spend probability, Eyal–Sirer's selfish-mining revenue and
 * stale rate, the majority attacker's catch-up time, and the partition race.
 */

export { majorityBlocksSd, majorityExpectedBlocks, majorityWithinProbability } from "./majority.ts";
export {
  catchUpProbability,
  exactDoubleSpendSuccess,
  nakamotoSuccess,
  truncatedNakamotoSuccess,
} from "./nakamoto.ts";
export { partitionWinProbability } from "./partition.ts";
export { selfishHonestStaleRate, selfishRevenue, selfishStates, selfishThreshold } from "./selfish.ts";
export {
  batchDesignEffect,
  chiSquareSurvival,
  type FitPoint,
  type FitTest,
  type Interval,
  sweepFit,
  wilsonFromProportion,
  wilsonInterval,
  Z95,
} from "./wilson.ts";
