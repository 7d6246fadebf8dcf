import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addValidator,
  decodePosState,
  decodeValidator,
  encodePosState,
  encodeValidator,
  FAR_FUTURE_EPOCH,
  indexOfPublicKey,
  type PosState,
  readPosState,
  readValidator,
  type Validator,
  writePosState,
  writeValidator,
} from "../../../../src/consensus/pos/validators.ts";
import { toHex } from "../../../../src/core/hash.ts";
import { LtHash } from "../../../../src/core/lthash.ts";
import { MemoryState, StateOverlay, updateLtHash } from "../../../../src/core/state.ts";
import {
  bytes,
  expectCanonicalOrDecodeError,
  hashArb,
  hexify,
  mutate,
  mutationArb,
  safeUintArb,
  u32Arb,
  u64Arb,
} from "../../core/codec-helpers.ts";

const validatorArb: fc.Arbitrary<Validator> = fc.record({
  publicKey: bytes(32),
  withdrawal: bytes(20),
  stake: u64Arb,
  effective: u64Arb,
  eligibilityEpoch: safeUintArb,
  activationEpoch: safeUintArb,
  exitEpoch: safeUintArb,
  withdrawableEpoch: safeUintArb,
  slashed: fc.boolean(),
  inactivityScore: safeUintArb,
  previousFlags: fc.integer({ min: 0, max: 7 }),
  currentFlags: fc.integer({ min: 0, max: 7 }),
});
const cpArb = fc.record({ epoch: safeUintArb, root: hashArb });
const posArb: fc.Arbitrary<PosState> = fc.record({
  slot: safeUintArb,
  randaoMix: hashArb,
  seeds: fc.tuple(hashArb, hashArb, hashArb),
  justificationBits: fc.integer({ min: 0, max: 15 }),
  previousJustified: cpArb,
  currentJustified: cpArb,
  finalized: cpArb,
  validatorCount: u32Arb,
  exitQueueEpoch: safeUintArb,
  exitQueueChurn: u32Arb,
  rewardPool: u64Arb,
  slashings: fc.array(u64Arb, { maxLength: 16 }),
});

describe("registry records", () => {
  it("round-trip, and damaged encodings are canonical or a DecodeError", () => {
    fc.assert(
      fc.property(validatorArb, posArb, mutationArb, (v, p, m) => {
        expect(hexify(decodeValidator(encodeValidator(v)))).toEqual(hexify(v));
        expect(hexify(decodePosState(encodePosState(p)))).toEqual(hexify(p));
        expectCanonicalOrDecodeError(decodeValidator, encodeValidator, mutate(encodeValidator(v), [], m));
        const pb = encodePosState(p);
        expectCanonicalOrDecodeError(
          decodePosState,
          encodePosState,
          mutate(pb, [{ offset: pb.length - 2 - 8 * p.slashings.length, width: 2 }], m),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("refuse unknown flag bits and a non-boolean slashed byte", () => {
    const [v] = fc.sample(validatorArb, { numRuns: 1, seed: 1 });
    const b = encodeValidator(v!);
    const flagsAt = b.length - 1;
    const bad = b.slice();
    bad[flagsAt] = 8;
    expect(() => decodeValidator(bad)).toThrow(expect.objectContaining({ code: "DECODE_BAD_VALUE" }));
    const slashedAt = 32 + 20 + 8 * 6;
    const bad2 = b.slice();
    bad2[slashedAt] = 2;
    expect(() => decodeValidator(bad2)).toThrow(expect.objectContaining({ code: "DECODE_BAD_VALUE" }));
  });

  it("stateRoot covers the registry: changing one validator changes the root", () => {
    const base = new StateOverlay(new MemoryState());
    const [pos] = fc.sample(posArb, { numRuns: 1, seed: 2 });
    const p = { ...pos!, validatorCount: 0 };
    const vs = fc.sample(validatorArb, { numRuns: 3, seed: 3 });
    vs.forEach((v, i) => {
      vs[i] = { ...v, publicKey: new Uint8Array(32).fill(i + 1) };
      addValidator(base, p, vs[i]!);
    });
    writePosState(base, p);
    const root = (s: StateOverlay) => {
      const acc = new LtHash();
      updateLtHash(acc, s.changes());
      return toHex(acc.root());
    };
    const before = root(base);
    expect(readPosState(base).validatorCount).toBe(3);
    expect(indexOfPublicKey(base, vs[1]!.publicKey)).toBe(1);
    expect(toHex(readValidator(base, 2).publicKey)).toBe(toHex(vs[2]!.publicKey));
    writeValidator(base, 1, {
      ...vs[1]!,
      exitEpoch: vs[1]!.exitEpoch === FAR_FUTURE_EPOCH ? 1 : FAR_FUTURE_EPOCH,
    });
    expect(root(base)).not.toBe(before);
  });
});
