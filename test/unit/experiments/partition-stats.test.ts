/** The partition race's closed form against values computed independently (double sums in Python). */
import { describe, expect, it } from "vitest";
import { partitionWinProbability } from "../../../src/experiments/stats/index.ts";

describe("partitionWinProbability", () => {
  it.each([
    // [s, expected blocks, P(group A wins)] from a direct double sum over both Poisson counts.
    [0.25, 2, 0.18620820961713744],
    [0.3, 7.5, 0.1193851705186896],
    [0.1, 10, 0.0015313140702550593],
  ])("s=%f, λ=%f", (s, lambda, p) => {
    expect(partitionWinProbability(s, lambda)).toBeCloseTo(p, 12);
  });

  it("is 1/2 for equal shares, and the two groups' chances add to 1", () => {
    expect(partitionWinProbability(0.5, 5)).toBeCloseTo(0.5, 12);
    for (const s of [0.05, 0.2, 0.45])
      expect(partitionWinProbability(s, 12) + partitionWinProbability(1 - s, 12)).toBeCloseTo(1, 12);
  });

  it("refuses a share outside [0, 1]", () => {
    expect(() => partitionWinProbability(1.5, 3)).toThrow(RangeError);
  });
});
