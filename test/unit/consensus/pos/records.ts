/** Plain registry records for tests that call the pure functions without a state. */
import { defaultPosParams } from "../../../../src/consensus/pos/params.ts";
import { newValidator } from "../../../../src/consensus/pos/staking.ts";
import { FAR_FUTURE_EPOCH, type PosState, type Validator } from "../../../../src/consensus/pos/validators.ts";
import { type Hash, sha256 } from "../../../../src/core/hash.ts";

/** A validator with `effective` stake, active from `activationEpoch` until `exitEpoch`. */
export function testValidator(
  effective: bigint,
  activationEpoch = 0,
  exitEpoch = FAR_FUTURE_EPOCH,
): Validator {
  return {
    ...newValidator(new Uint8Array(32), new Uint8Array(20), effective, 0, defaultPosParams()),
    effective,
    activationEpoch,
    exitEpoch,
  };
}

/** A PoS record at `slot` with fixed seeds and every checkpoint at epoch 0, overridable. */
export function testPosState(slot: number, o: Partial<PosState> = {}): PosState {
  const cp = { epoch: 0, root: new Uint8Array(32) };
  const seeds: [Hash, Hash, Hash] = [
    sha256(Uint8Array.of(1)),
    sha256(Uint8Array.of(2)),
    sha256(Uint8Array.of(3)),
  ];
  return {
    slot,
    randaoMix: new Uint8Array(32),
    seeds,
    justificationBits: 0,
    previousJustified: cp,
    currentJustified: cp,
    finalized: cp,
    validatorCount: 0,
    exitQueueEpoch: 0,
    exitQueueChurn: 0,
    rewardPool: 0n,
    slashings: [],
    ...o,
  };
}
