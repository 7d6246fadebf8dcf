/**
 * experiments/stats/: pure statistics and closed forms (no I/O): Wilson intervals, a sweep's
 * goodness of fit, Nakamoto's double-spend probability and Eyal–Sirer's selfish-mining revenue, and the
 * partition race.
 */
export {
  catchUpProbability,
  exactDoubleSpendSuccess,
  nakamotoSuccess,
  truncatedNakamotoSuccess,
} from "./nakamoto.ts";
export { partitionWinProbability } from "./partition.ts";
export { selfishRevenue, selfishThreshold } from "./selfish.ts";
export {
  chiSquareSurvival,
  type FitPoint,
  type FitTest,
  type Interval,
  sweepFit,
  wilsonInterval,
  Z95,
} from "./wilson.ts";
