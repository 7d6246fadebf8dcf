/**
 * The proposer of a slot: consensus-specs `compute_proposer_index` rejection sampling over the
 * shuffled active validators, weighted by effective stake, from the epoch's RANDAO-derived seed.
 * The acceptance bound is the largest active effective stake (the spec uses MAX_EFFECTIVE_BALANCE;
 * both give shares proportional to effective stake, the largest active one wastes fewer draws).
 */
import { Writer } from "../../core/encoding.ts";
import { type Hash, sha256, utf8 } from "../../core/hash.ts";
import type { StateReader } from "../../core/state.ts";
import { epochOf, type PosParams } from "./params.ts";
import { epochSeed, makeShuffle } from "./shuffle.ts";
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

/** compute_proposer_index over `indices` (active validators) with their effective stakes. */
export function computeProposerIndex(
  validators: readonly Validator[],
  indices: readonly number[],
  seed: Hash,
): number {
  if (indices.length === 0) throw new RangeError("no active validator to propose");
  let bound = 0n;
  for (const i of indices) if (validators[i]!.effective > bound) bound = validators[i]!.effective;
  if (bound === 0n) throw new RangeError("no active validator has effective stake");
  const shuffle = makeShuffle(seed, indices.length);
  let randomBytes: Hash = new Uint8Array(0);
  const counter = new Uint8Array(8);
  const view = new DataView(counter.buffer);
  for (let i = 0; ; i++) {
    const candidate = indices[shuffle.forward(i % indices.length)]!;
    if (i % 32 === 0) {
      view.setBigUint64(0, BigInt(i / 32), true);
      randomBytes = sha256(seed, counter);
    }
    if (validators[candidate]!.effective * 255n >= bound * BigInt(randomBytes[i % 32]!)) return candidate;
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
