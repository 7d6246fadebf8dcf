import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  catchUpProbability,
  chiSquareSurvival,
  nakamotoSuccess,
  selfishRevenue,
  selfishThreshold,
  sweepFit,
  truncatedNakamotoSuccess,
  wilsonInterval,
} from "../../../src/experiments/stats/index.ts";

const vectors = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${name}`, import.meta.url), "utf8"));

describe("Wilson interval", () => {
  // Reference values: Newcombe (1998), Table I, and R's prop.test(correct = FALSE) / binom.wilson.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
    [5, 10, 0.2366, 0.7634],
  ])("%i/%i -> [%f, %f]", (x, n, lo, hi) => {
    const ci = wilsonInterval(x, n);
    expect(ci.estimate).toBeCloseTo(x / n, 12);
    expect(ci.lo).toBeCloseTo(lo, 4);
    expect(ci.hi).toBeCloseTo(hi, 4);
  });

  it("rejects impossible counts", () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(wilsonInterval(0, 0).lo).toBe(0);
  });
});

describe("Nakamoto §11", () => {
  const v = vectors("nakamoto-double-spend.json");
  for (const key of ["q0.1", "q0.3"]) {
    const q = Number(key.slice(1));
    it.each(Object.entries(v[key] as Record<string, number>))(`${key}, z = %s`, (z, p) => {
      const got = nakamotoSuccess(q, Number(z));
      // the paper prints 7 decimals (or 2-3 significant digits for the tiny ones)
      expect(Math.abs(got - p)).toBeLessThan(Math.max(5e-8, p * 0.01));
    });
  }

  it("finds the paper's smallest z with P < 0.1%", () => {
    for (const [q, z] of Object.entries(v.minZForPBelow0_001 ?? v["minZForPBelow0.001"]) as [
      string,
      number,
    ][]) {
      let k = 0;
      while (nakamotoSuccess(Number(q), k) >= 0.001) k++;
      expect(k, `q = ${q}`).toBe(z);
    }
  });

  it("the truncated race tends to the untruncated one and is never above it", () => {
    for (const q of [0.1, 0.3, 0.45]) {
      for (const z of [1, 2, 4, 6]) {
        const full = nakamotoSuccess(q, z);
        expect(truncatedNakamotoSuccess(q, z, 10_000)).toBeCloseTo(full, 10);
        expect(truncatedNakamotoSuccess(q, z, z + 2)).toBeLessThanOrEqual(full);
      }
    }
  });

  it("gambler's ruin with two barriers", () => {
    // r = 1/2: from 1 behind, reach 0 before 3 = (1/2 - 1/8) / (1 - 1/8) = 3/7
    expect(catchUpProbability(1 / 3, 1, 3)).toBeCloseTo(3 / 7, 12);
    expect(catchUpProbability(0.5, 1, 4)).toBeCloseTo(0.75, 12);
    expect(catchUpProbability(0.2, 0, 3)).toBe(1);
    expect(catchUpProbability(0.2, 3, 3)).toBe(0);
  });
});

describe("Eyal–Sirer selfish mining", () => {
  const v = vectors("selfish-mining.json");
  for (const [g, table] of Object.entries(v.revenue as Record<string, Record<string, number>>)) {
    const gamma = Number(g.split("=")[1]);
    it.each(Object.entries(table))(`${g}, alpha = %s`, (a, r) => {
      const alpha = a === "1/3" ? 1 / 3 : Number(a);
      expect(selfishRevenue(alpha, gamma)).toBeCloseTo(r, 5);
    });
  }
  it("thresholds", () => {
    for (const [g, t] of Object.entries(v.threshold as Record<string, number>)) {
      expect(selfishThreshold(Number(g.split("=")[1]))).toBeCloseTo(t, 5);
    }
  });
});

describe("sweep goodness of fit", () => {
  it("chi-square survival matches tables", () => {
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(18.307038, 10)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(2.0, 2)).toBeCloseTo(Math.exp(-1), 8);
  });
  it("a perfect fit has p = 1 and an absurd one p ~ 0", () => {
    expect(sweepFit([{ successes: 50, trials: 100, predicted: 0.5 }]).pValue).toBeCloseTo(1, 8);
    expect(sweepFit([{ successes: 90, trials: 100, predicted: 0.1 }]).pValue).toBeLessThan(1e-10);
  });
});
