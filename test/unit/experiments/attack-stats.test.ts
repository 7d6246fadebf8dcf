/** Selfish-mining stale rate, majority first passage, batch design effect: against simulations and hand cases. */
import { describe, expect, it } from "vitest";
import { raceFollowers } from "../../../src/experiments/adversary/index.ts";
import { createRng } from "../../../src/experiments/rng.ts";
import {
  batchDesignEffect,
  majorityExpectedBlocks,
  majorityWithinProbability,
  selfishHonestStaleRate,
  selfishRevenue,
  selfishStates,
  wilsonFromProportion,
  wilsonInterval,
} from "../../../src/experiments/stats/index.ts";

/** Eyal and Sirer's SM1 state machine, block by block: main-chain blocks of each side, honest blocks mined. */
function simulateSm1(alpha: number, gamma: number, events: number, seed: number) {
  const rng = createRng(seed);
  let lead = 0;
  let tie = false;
  let pool = 0;
  let others = 0;
  let honestMined = 0;
  let inState0 = 0;
  for (let i = 0; i < events; i++) {
    if (lead === 0 && !tie) inState0++;
    if (rng.next() < alpha) {
      if (tie) {
        pool += 2;
        tie = false;
      } else lead++;
      continue;
    }
    honestMined++;
    if (tie) {
      if (rng.next() < gamma) {
        pool += 1;
        others += 1;
      } else others += 2;
      tie = false;
    } else if (lead === 0) others++;
    else if (lead === 1) {
      tie = true;
      lead = 0;
    } else if (lead === 2) {
      pool += 2;
      lead = 0;
    } else {
      pool++;
      lead--;
    }
  }
  return { share: pool / (pool + others), stale: 1 - others / honestMined, p0: inState0 / events };
}

describe("SM1 closed forms against a simulation of the state machine", () => {
  for (const [alpha, gamma] of [
    [0.3, 0],
    [0.3, 0.5],
    [0.4, 0.5],
  ] as const) {
    it(`alpha ${alpha}, gamma ${gamma}`, () => {
      const sim = simulateSm1(alpha, gamma, 400_000, 7);
      expect(sim.share).toBeCloseTo(selfishRevenue(alpha, gamma), 2);
      expect(sim.stale).toBeCloseTo(selfishHonestStaleRate(alpha, gamma), 2);
      expect(sim.p0).toBeCloseTo(selfishStates(alpha).p0, 2);
    });
  }
  it("honest mining loses nothing", () => {
    expect(selfishHonestStaleRate(0, 0)).toBeCloseTo(0, 12);
    expect(selfishStates(0).p0).toBe(1);
  });
});

describe("majority attacker's first passage", () => {
  it("hand-computed cases", () => {
    expect(majorityWithinProbability(0.75, 0, 0)).toBe(0);
    expect(majorityWithinProbability(0.75, 0, 1)).toBeCloseTo(0.75, 12);
    // A, or H then A A: 0.75 + 0.25 * 0.75^2
    expect(majorityWithinProbability(0.75, 0, 3)).toBeCloseTo(0.75 + 0.25 * 0.5625, 12);
    expect(majorityWithinProbability(0.6, 2, 2)).toBe(0);
    expect(majorityWithinProbability(0.6, 2, 3)).toBeCloseTo(0.6 ** 3, 12);
  });
  it("the mean of the distribution is (k+1)/(2q-1)", () => {
    for (const [q, k] of [
      [0.6, 1],
      [0.75, 3],
      [0.9, 6],
    ] as const) {
      let mean = 0;
      for (let n = 0; n < 400; n++) mean += 1 - majorityWithinProbability(q, k, n);
      expect(mean).toBeCloseTo(majorityExpectedBlocks(q, k), 3);
    }
  });
  it("refuses a minority attacker", () => {
    expect(() => majorityExpectedBlocks(0.5, 1)).toThrow(RangeError);
  });
});

describe("batches", () => {
  it("identical batches have design effect 1, scattered ones more", () => {
    const same = Array.from({ length: 6 }, () => ({ successes: 5, count: 20 }));
    expect(batchDesignEffect(same)).toBe(1);
    expect(batchDesignEffect([{ successes: 3, count: 10 }])).toBe(1);
    const scattered = [
      { successes: 0, count: 20 },
      { successes: 20, count: 20 },
      { successes: 1, count: 20 },
      { successes: 19, count: 20 },
    ];
    expect(batchDesignEffect(scattered)).toBeGreaterThan(10);
  });
  it("the Wilson interval of a proportion equals the integer one", () => {
    const a = wilsonInterval(7, 40);
    const b = wilsonFromProportion(7 / 40, 40);
    expect(b.lo).toBeCloseTo(a.lo, 12);
    expect(b.hi).toBeCloseTo(a.hi, 12);
    expect(wilsonInterval(0, 0).hi).toBe(1);
  });
  it("race followers average gamma times the honest miners, and refuse gamma above (n-1)/n", () => {
    const rng = createRng(3);
    let total = 0;
    for (let i = 0; i < 20_000; i++) total += raceFollowers(0.3, 3, rng);
    expect(total / 20_000 / 3).toBeCloseTo(0.3, 2);
    expect(raceFollowers(0.5, 2, rng)).toBe(1);
    expect(() => raceFollowers(0.8, 2, rng)).toThrow(/honest miners/);
  });
});
