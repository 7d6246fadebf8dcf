/** Per-point summaries of the raw trials: counts, Wilson intervals, theory inside or not. */
import type { PointSpec, TrialRecord } from "../scenario.ts";
import { batchDesignEffect, type FitTest, sweepFit, wilsonFromProportion } from "../stats/index.ts";
import type { PointSummary } from "./types.ts";

/**
 * One point's counts and interval. Plain trials are Bernoulli; trials that carry `units` are
 * batches, whose units are pooled and whose interval uses the effective sample n / design effect
 * estimated from the spread of the batches (correlated units such as a selfish miner's blocks).
 */
function countPoint(mine: readonly TrialRecord[]) {
  const batches = mine.flatMap((t) => (t.units !== undefined ? [t.units] : []));
  if (batches.length === 0) {
    const successes = mine.filter((t) => t.success).length;
    return { trials: mine.length, successes, designEffect: 1, batches: undefined };
  }
  return {
    trials: batches.reduce((n, b) => n + b.count, 0),
    successes: batches.reduce((n, b) => n + b.successes, 0),
    designEffect: batchDesignEffect(batches),
    batches: batches.length,
  };
}

/** Summarizes the trials of each point, in the points' order. */
export function summarizePoints(
  points: readonly PointSpec[],
  trials: readonly TrialRecord[],
): PointSummary[] {
  return points.map((p) => {
    const c = countPoint(trials.filter((t) => t.point === p.id));
    const ci = wilsonFromProportion(c.trials === 0 ? 0 : c.successes / c.trials, c.trials / c.designEffect);
    const theory = p.predicted[p.primary];
    return {
      id: p.id,
      coords: { ...p.coords },
      trials: c.trials,
      successes: c.successes,
      estimate: ci.estimate,
      lo: ci.lo,
      hi: ci.hi,
      predicted: { ...p.predicted },
      primary: p.primary,
      theoryInside: theory !== undefined && theory >= ci.lo && theory <= ci.hi,
      ...(c.batches !== undefined
        ? { batches: c.batches, designEffect: c.designEffect, unit: p.unit ?? "units" }
        : {}),
    };
  });
}

/** The chi-square fit of the sweep against each point's primary prediction (units scaled by deff). */
export function fitPoints(points: readonly PointSummary[]): FitTest {
  return sweepFit(
    points
      .filter((p) => p.trials > 0 && p.predicted[p.primary] !== undefined)
      .map((p) => {
        const d = p.designEffect ?? 1;
        return { successes: p.successes / d, trials: p.trials / d, predicted: p.predicted[p.primary]! };
      }),
  );
}
