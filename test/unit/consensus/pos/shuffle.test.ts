import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultPosParams } from "../../../../src/consensus/pos/params.ts";
import {
  attestationSlotOf,
  epochCommittees,
  makeShuffle,
  shuffledIndex,
  unshuffledIndex,
} from "../../../../src/consensus/pos/shuffle.ts";
import { fromHex, sha256 } from "../../../../src/core/hash.ts";
import { testPosState, testValidator } from "./records.ts";

const vectors = JSON.parse(
  readFileSync(
    new URL("../../../fixtures/vectors/consensus-specs/shuffle-minimal.json", import.meta.url),
    "utf8",
  ),
) as { cases: { seed: string; count: number; mapping: number[] }[] };

describe("compute_shuffled_index", () => {
  for (const c of vectors.cases) {
    it(`matches the consensus-specs minimal vector (count ${c.count}, seed ${c.seed.slice(0, 8)})`, () => {
      const seed = fromHex(c.seed);
      const got = Array.from({ length: c.count }, (_, i) => shuffledIndex(i, c.count, seed));
      expect(got).toEqual(c.mapping);
    });
  }

  it("is a permutation of [0, n) for any seed and size", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 600 }),
        (seed, n) => {
          const s = makeShuffle(seed, n);
          const image = Array.from({ length: n }, (_, i) => s.forward(i));
          expect(new Set(image).size).toBe(n);
          expect(image.every((x) => x >= 0 && x < n)).toBe(true);
          expect(image.map((x) => s.inverse(x))).toEqual(Array.from({ length: n }, (_, i) => i));
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });

  it("unshuffledIndex inverts it", () => {
    const seed = sha256(new Uint8Array([9]));
    for (const n of [1, 2, 7, 100]) {
      for (let i = 0; i < n; i++) expect(unshuffledIndex(shuffledIndex(i, n, seed), n, seed)).toBe(i);
    }
  });
});

const validator = (activationEpoch: number, exitEpoch?: number) =>
  testValidator(32n, activationEpoch, exitEpoch);
const posAt = (slot: number) => testPosState(slot);

describe("attestation slots", () => {
  const params = defaultPosParams(1000, 8);

  it("every active validator gets exactly one slot of its epoch, and the committees agree", () => {
    // 37 validators: 3 not yet active, 2 exited, 32 active in epoch 5.
    const vs = [
      ...Array.from({ length: 32 }, () => validator(0)),
      validator(6),
      validator(7),
      validator(9),
      validator(0, 5),
      validator(0, 3),
    ];
    const pos = posAt(5 * 8 + 3);
    for (const epoch of [4, 5, 6]) {
      const committees = epochCommittees(vs, pos, epoch, params);
      const members = committees.flat().sort((a, b) => a - b);
      const active = vs.flatMap((v, i) => (v.activationEpoch <= epoch && epoch < v.exitEpoch ? [i] : []));
      expect(members).toEqual(active);
      committees.forEach((committee, k) => {
        for (const i of committee) expect(attestationSlotOf(vs, pos, i, epoch, params)).toBe(epoch * 8 + k);
      });
      // Committee sizes differ by at most one.
      const sizes = committees.map((c) => c.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(attestationSlotOf(vs, pos, 32, 5, params)).toBeUndefined();
    expect(attestationSlotOf(vs, pos, 35, 5, params)).toBeUndefined();
  });

  it("the slots depend on the epoch's seed", () => {
    const vs = Array.from({ length: 64 }, () => validator(0));
    const pos = posAt(8);
    const a = epochCommittees(vs, pos, 1, params);
    const b = epochCommittees(
      vs,
      { ...pos, seeds: [pos.seeds[0], sha256(Uint8Array.of(7)), pos.seeds[2]] },
      1,
      params,
    );
    expect(a).not.toEqual(b);
  });

  it("refuses an epoch the state holds no seed for", () => {
    const vs = [validator(0)];
    expect(() => attestationSlotOf(vs, posAt(8 * 5), 0, 3, params)).toThrow(RangeError);
    expect(() => attestationSlotOf(vs, posAt(8 * 5), 0, 7, params)).toThrow(RangeError);
  });
});
