import { describe, expect, it } from "vitest";
import { defaultPosParams } from "../../../../src/consensus/pos/params.ts";
import {
  computeProposerIndex,
  proposerIndex,
  proposerIndexOf,
  proposerSeed,
} from "../../../../src/consensus/pos/proposer.ts";
import { sha256 } from "../../../../src/core/hash.ts";
import { testPosState, testValidator } from "./records.ts";
import { COIN, PosSim } from "./sim.ts";

const validator = testValidator;
const seed = sha256(Uint8Array.of(42));
const posAt = (slot: number) => testPosState(slot, { seeds: [seed, seed, seed] });

describe("proposer selection", () => {
  it("proposer shares match effective-stake shares over many slots (chi-square, 4 dof, p > 0.001)", () => {
    const stakes = [32n, 64n, 128n, 256n, 512n].map((x) => x * COIN);
    // A sixth validator is not active yet and must never propose.
    const validators = [...stakes.map((s) => validator(s)), validator(512n * COIN, 99)];
    const params = { ...defaultPosParams(1000, 1024) };
    const n = 6000;
    const counts = new Array<number>(validators.length).fill(0);
    for (let slot = 0; slot < n; slot++) counts[proposerIndexOf(validators, posAt(slot), slot, params)]! += 1;
    expect(counts[5]).toBe(0);
    const total = stakes.reduce((a, b) => a + b, 0n);
    let chi2 = 0;
    stakes.forEach((s, i) => {
      const expected = (n * Number(s)) / Number(total);
      chi2 += (counts[i]! - expected) ** 2 / expected;
    });
    expect(chi2).toBeLessThan(18.47);
    // And not uniform: the largest stake proposes about 16 times as often as the smallest.
    expect(counts[4]! / counts[0]!).toBeGreaterThan(10);
  });

  it("depends on the slot and the seed only, as every node computes it", () => {
    const validators = [32n, 32n, 32n, 32n].map((x) => validator(x * COIN));
    const seed = sha256(Uint8Array.of(1));
    const picks = Array.from({ length: 64 }, (_, s) =>
      computeProposerIndex(validators, [0, 1, 2, 3], proposerSeed(seed, s)),
    );
    expect(new Set(picks).size).toBe(4);
    const again = Array.from({ length: 64 }, (_, s) =>
      computeProposerIndex(validators, [0, 1, 2, 3], proposerSeed(seed, s)),
    );
    expect(again).toEqual(picks);
  });

  it("answers only for the state's epoch, and the state path equals the array path", () => {
    const sim = new PosSim({ validators: 8 });
    sim.runTo(5);
    expect(() => proposerIndex(sim.state, 9, sim.params)).toThrow(RangeError);
    expect(proposerIndex(sim.state, 6, sim.params)).toBe(
      proposerIndexOf(sim.validators(), sim.pos(), 6, sim.params),
    );
    expect(sim.proposerOf(9)).toBe(sim.proposerOf(9));
  });

  it("refuses an empty active set", () => {
    expect(() => computeProposerIndex([], [], sha256(Uint8Array.of(0)))).toThrow(RangeError);
  });
});
