import { describe, expect, it } from "vitest";
import { addressBytesOf } from "../../../../src/crypto/address.ts";
import { COIN, PosSim } from "./sim.ts";

describe("inactivity leak", () => {
  it("drains a non-voting 40% until the voting 60% holds 2/3 and finality resumes", () => {
    const sim = new PosSim({
      validators: 10,
      params: { inactivityPenaltyQuotient: 256, attestationReward: 1000n },
    });
    const offline = (i: number) => i >= 6;
    sim.online = (i) => !offline(i);
    const addresses = sim.keys.map((k) => addressBytesOf(k.publicKey));
    const supply = sim.supply(addresses);
    const epochs: { loss: bigint; effective: bigint; score: number; leak: boolean }[] = [];
    let finalizedAt: number | undefined;
    for (let e = 1; e <= 40 && finalizedAt === undefined; e++) {
      const before = sim.validator(9);
      sim.runToEpoch(e);
      const p = sim.pos();
      const after = sim.validator(9);
      epochs.push({
        loss: before.stake - after.stake,
        effective: before.effective,
        score: after.inactivityScore,
        leak: e - 2 - p.finalized.epoch > 4,
      });
      if (p.finalized.epoch > 0) finalizedAt = e;
      // Until finality resumes the voters are neither paid (no rewards in a leak) nor penalized.
      else for (let i = 0; i < 6; i++) expect(sim.validator(i).stake).toBe(32n * COIN);
    }
    expect(finalizedAt).toBeDefined();
    const v = sim.validators();
    const online = v.slice(0, 6).reduce((s, x) => s + x.effective, 0n);
    const total = v.reduce((s, x) => s + x.effective, 0n);
    // Finality resumed exactly when the voters' effective stake reached 2/3.
    expect(online * 3n >= total * 2n).toBe(true);
    for (let i = 6; i < 10; i++) {
      expect(v[i]!.stake).toBeLessThan(32n * COIN);
      expect(v[i]!.effective).toBeLessThanOrEqual(24n * COIN);
      expect(v[i]!.inactivityScore).toBeGreaterThan(0);
    }
    // No penalty before the leak (finality delay > 4 epochs); in it the score grows by the bias each
    // epoch and each epoch's loss is effective * score / (bias * quotient): quadratic in the delay.
    const leaking = epochs.filter((x) => x.leak);
    const firstLeak = epochs.findIndex((x) => x.leak);
    expect(firstLeak).toBe(6);
    expect(epochs.slice(0, firstLeak).every((x) => x.loss === 0n && x.score === 0)).toBe(true);
    expect(leaking.length).toBeGreaterThan(5);
    expect(leaking.map((x) => x.score)).toEqual(leaking.map((_, k) => 4 * (k + 1)));
    // The penalty follows the score in and after the leak (the score then decays by the recovery rate).
    for (const x of epochs) expect(x.loss).toBe((x.effective * BigInt(x.score)) / (4n * 256n));
    expect(epochs.at(-1)!.leak).toBe(false);
    expect(epochs.at(-1)!.score).toBe(leaking.at(-1)!.score + 4 - 16);
    // Penalties went to the reward pool: the supply is unchanged (no issuance).
    expect(sim.supply(addresses)).toBe(supply);
    expect(sim.pos().rewardPool).toBeGreaterThan(0n);
  });

  it("does not count epochs in which the chain has no block: a chain stopped for 600 epochs resumes and finalizes", () => {
    const sim = new PosSim({ validators: 8, params: { inactivityPenaltyQuotient: 256 } });
    sim.runToEpoch(4);
    const finalizedBefore = sim.pos().finalized.epoch;
    expect(finalizedBefore).toBeGreaterThan(0);
    const before = sim.validators();
    // Every node stopped: the next block comes 600 epochs later (the leak would have ejected all).
    const resume = 604 * 8;
    sim.block(resume);
    const after = sim.validators();
    after.forEach((v, i) => {
      expect(v.stake).toBe(before[i]!.stake);
      expect(v.inactivityScore).toBe(0);
      expect(v.exitEpoch).toBe(before[i]!.exitEpoch);
    });
    sim.runToEpoch(608);
    const p = sim.pos();
    expect(p.finalized.epoch).toBeGreaterThanOrEqual(605);
    // The epochs with blocks, once finality stalled, did count: the leak is not switched off.
    for (const v of sim.validators()) expect(v.stake).toBeLessThanOrEqual(32n * COIN);
  });

  it("still leaks through epochs with blocks that lack the votes (one side of a partition)", () => {
    const sim = new PosSim({ validators: 10, params: { inactivityPenaltyQuotient: 256 } });
    sim.online = (i) => i < 6;
    sim.runToEpoch(20);
    for (let i = 6; i < 10; i++) expect(sim.validator(i).stake).toBeLessThan(32n * COIN);
  });
});
