import { describe, expect, it } from "vitest";
import { processEpoch } from "../../../../src/consensus/pos/epoch.ts";
import { defaultPosParams } from "../../../../src/consensus/pos/params.ts";
import { FAR_FUTURE_EPOCH, type Validator } from "../../../../src/consensus/pos/validators.ts";
import { ZERO_HASH } from "../../../../src/core/hash.ts";
import { testPosState, testValidator } from "./records.ts";

const COIN = 1_0000_0000n;
const params = { ...defaultPosParams(1000, 8), attestationReward: 0n, slashingsWindowEpochs: 4 };
const ctx = { rootAtSlot: () => ZERO_HASH, credit: () => {} };

/** Runs the end of epoch 3 on the validators; returns them. */
function endOfEpoch(validators: Validator[], epoch = 3): Validator[] {
  processEpoch(validators, testPosState(epoch * 8 + 7, { slashings: [0n, 0n, 0n, 0n] }), epoch, params, ctx);
  return validators;
}

describe("epoch processing", () => {
  it("effective stake follows the balance with hysteresis (down below -1/4, up above +5/4 of an increment)", () => {
    const cases: [bigint, bigint][] = [
      [3_225_000_000n, 32n * COIN], // +0.25: no change
      [3_325_000_000n, 32n * COIN], // +1.25: not above the upward threshold
      [3_325_000_001n, 33n * COIN],
      [3_175_000_000n, 32n * COIN], // -0.25: not below the downward threshold
      [3_174_999_999n, 31n * COIN],
      [5000n * COIN, params.maxEffectiveStake], // capped
    ];
    const vs = endOfEpoch(cases.map(([stake]) => ({ ...testValidator(32n * COIN), stake })));
    expect(vs.map((v) => v.effective)).toEqual(cases.map(([, e]) => e));
  });

  it("ejects a validator whose effective stake fell to the ejection stake", () => {
    const low = { ...testValidator(16n * COIN), stake: 16n * COIN };
    const ok = { ...testValidator(17n * COIN), stake: 17n * COIN };
    const [a, b] = endOfEpoch([low, ok]);
    expect(a!.exitEpoch).toBe(3 + 1 + params.activationDelayEpochs);
    expect(b!.exitEpoch).toBe(FAR_FUTURE_EPOCH);
  });

  it("activates the queue in eligibility order, then index order, under the churn limit", () => {
    const queued = (eligibilityEpoch: number) => ({
      ...testValidator(32n * COIN, FAR_FUTURE_EPOCH),
      stake: 32n * COIN,
      eligibilityEpoch,
    });
    const vs = endOfEpoch([
      testValidator(32n * COIN),
      queued(3),
      queued(2),
      queued(3),
      queued(1),
      queued(2),
      queued(4),
    ]);
    const at = 3 + 1 + params.activationDelayEpochs;
    // Eligible by epoch 3: indices 4 (epoch 1), 2 and 5 (epoch 2), 1 and 3 (epoch 3); churn 4 takes the first four.
    expect(vs.map((v) => v.activationEpoch)).toEqual([0, at, at, FAR_FUTURE_EPOCH, at, at, FAR_FUTURE_EPOCH]);
  });

  it("rotates participation flags and seeds", () => {
    const v = { ...testValidator(32n * COIN), previousFlags: 1, currentFlags: 7 };
    const pos = testPosState(31, { slashings: [0n, 0n, 0n, 0n], randaoMix: new Uint8Array(32).fill(5) });
    const [s0, s1, s2] = pos.seeds;
    processEpoch([v], pos, 3, params, ctx);
    expect([v.previousFlags, v.currentFlags]).toEqual([7, 0]);
    expect(pos.seeds).toEqual([s1, s2, new Uint8Array(32).fill(5)]);
    expect(pos.seeds).not.toContain(s0);
  });
});
