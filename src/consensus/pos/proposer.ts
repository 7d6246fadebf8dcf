/**
 * The proposer of a slot: consensus-specs `compute_proposer_index`-style rejection sampling weighted
 * by effective stake, from the epoch's RANDAO-derived seed and the slot. Two deliberate departures
 * make the shares exactly proportional to effective stake, also for a handful of validators:
 * candidates are drawn with replacement (the spec walks the shuffled list, and its
 * without-replacement cycle favours validators early in the order when the set is small), and the
 * acceptance test has 64-bit precision against the largest active effective stake (the spec: one
 * random byte against MAX_EFFECTIVE_BALANCE). The seed is only as good as RANDAO: ed25519 reveals
 * are not unique signatures, so a proposer can grind its contribution (docs/pos-plan.md).
 */
import { Writer } from "../../core/encoding.ts";
import { type Hash, sha256, utf8 } from "../../core/hash.ts";
import type { StateReader } from "../../core/state.ts";
import { epochOf, type PosParams } from "./params.ts";
import { epochSeed } from "./shuffle.ts";
import {
  activeIndicesOf,
  type PosState,
  readAllValidators,
  readPosState,
  type Validator,
} from "./validators.ts";

const PROPOSER_TAG = utf8("chainlab/pos/proposer/v1");

/** The seed of one slot's draw. */
export function proposerSeed(epochSeedBytes: Hash, slot: number): Hash {
  return sha256(PROPOSER_TAG, epochSeedBytes, new Writer(8).uint(slot).finish());
}

/**
 * Rejection sampling over `indices` (active validators) weighted by effective stake: a candidate
 * drawn uniformly from sha256(seed || i) is accepted with probability effective / bound.
 */
export function computeProposerIndex(
  validators: readonly Validator[],
  indices: readonly number[],
  seed: Hash,
): number {
  if (indices.length === 0) throw new RangeError("no active validator to propose");
  let bound = 0n;
  for (const i of indices) if (validators[i]!.effective > bound) bound = validators[i]!.effective;
  if (bound === 0n) throw new RangeError("no active validator has effective stake");
  const n = BigInt(indices.length);
  const counter = new Uint8Array(8);
  const view = new DataView(counter.buffer);
  for (let i = 0n; ; i++) {
    view.setBigUint64(0, i, true);
    const h = sha256(seed, counter);
    const words = new DataView(h.buffer, h.byteOffset, 16);
    const candidate = indices[Number(words.getBigUint64(0, true) % n)]!;
    // r < effective * 2^64 / bound, for r uniform in [0, 2^64): probability effective / bound.
    if (words.getBigUint64(8, true) * bound < validators[candidate]!.effective << 64n) return candidate;
  }
}

/** The proposer of `slot` given the registry and a PoS record already advanced to the slot's epoch. */
export function proposerIndexOf(
  validators: readonly Validator[],
  pos: PosState,
  slot: number,
  params: PosParams,
): number {
  const epoch = epochOf(slot, params);
  const current = epochOf(pos.slot, params);
  if (epoch !== current) {
    throw new RangeError(
      `slot ${slot} is in epoch ${epoch}; advance the state (epoch ${current}) to it first`,
    );
  }
  return computeProposerIndex(
    validators,
    activeIndicesOf(validators, epoch),
    proposerSeed(epochSeed(pos, epoch, params), slot),
  );
}

/** The proposer of `slot` (same on every node). The state must be advanced to the slot's epoch (transition.ts advanceSlots). */
export function proposerIndex(state: StateReader, slot: number, params: PosParams): number {
  const pos = readPosState(state);
  return proposerIndexOf(readAllValidators(state, pos), pos, slot, params);
}
