/** Per-point summaries of the raw trials: counts, Wilson intervals, theory inside or not. */
import type { PointSpec, TrialRecord } from "../scenario.ts";
import { type FitTest, sweepFit, wilsonInterval } from "../stats/index.ts";
import type { PointSummary } from "./types.ts";

/** Summarizes the trials of each point, in the points' order. */
export function summarizePoints(
  points: readonly PointSpec[],
  trials: readonly TrialRecord[],
): PointSummary[] {
  return points.map((p) => {
    const mine = trials.filter((t) => t.point === p.id);
    const successes = mine.filter((t) => t.success).length;
    const ci = wilsonInterval(successes, mine.length);
    const theory = p.predicted[p.primary];
    return {
      id: p.id,
      coords: { ...p.coords },
      trials: mine.length,
      successes,
      estimate: ci.estimate,
      lo: ci.lo,
      hi: ci.hi,
      predicted: { ...p.predicted },
      primary: p.primary,
      theoryInside: theory !== undefined && theory >= ci.lo && theory <= ci.hi,
    };
  });
}

/** The chi-square fit of the sweep against each point's primary prediction. */
export function fitPoints(points: readonly PointSummary[]): FitTest {
  return sweepFit(
    points
      .filter((p) => p.trials > 0 && p.predicted[p.primary] !== undefined)
      .map((p) => ({ successes: p.successes, trials: p.trials, predicted: p.predicted[p.primary]! })),
  );
}
