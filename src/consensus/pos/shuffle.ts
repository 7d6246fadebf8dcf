/**
 * Attestation duties: consensus-specs swap-or-not `compute_shuffled_index` (minimal preset, 10
 * rounds, checked against the spec's test vectors) splits each epoch's active validators over its
 * slots, so every active validator attests exactly once per epoch, in a slot no one can pick.
 */
import { type Hash, sha256 } from "../../core/hash.ts";
import type { StateReader } from "../../core/state.ts";
import { epochOf, type PosParams } from "./params.ts";
import {
  activeIndicesOf,
  type PosState,
  readAllValidators,
  readPosState,
  type Validator,
} from "./validators.ts";

/** Swap-or-not rounds (consensus-specs minimal preset). */
export const SHUFFLE_ROUND_COUNT = 10;

/** The swap-or-not permutation of [0, count) for one seed, its round pivots computed once. */
export interface Shuffle {
  /** consensus-specs compute_shuffled_index. */
  forward(index: number): number;
  /** Its inverse (each round is an involution: run them backwards). */
  inverse(index: number): number;
}

/** The permutation for `seed` over `count` positions. */
export function makeShuffle(seed: Hash, count: number): Shuffle {
  const pivots: number[] = [];
  const roundSeeds: Uint8Array[] = [];
  for (let round = 0; round < SHUFFLE_ROUND_COUNT; round++) {
    const roundSeed = new Uint8Array(33);
    roundSeed.set(seed);
    roundSeed[32] = round;
    const h = sha256(roundSeed);
    pivots.push(Number(new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, true) % BigInt(count)));
    roundSeeds.push(roundSeed);
  }
  // One source hash serves 256 positions of a round: cache them (the spec's shuffle_list does the same).
  const sources = new Map<number, Uint8Array>();
  const sourceOf = (round: number, block: number): Uint8Array => {
    const key = block * SHUFFLE_ROUND_COUNT + round;
    let h = sources.get(key);
    if (h === undefined) {
      const suffix = new Uint8Array(4);
      new DataView(suffix.buffer).setUint32(0, block, true);
      h = sha256(roundSeeds[round]!, suffix);
      sources.set(key, h);
    }
    return h;
  };
  const swapOrNot = (index: number, round: number): number => {
    const flip = (pivots[round]! + count - index) % count;
    const position = Math.max(index, flip);
    const byte = sourceOf(round, Math.floor(position / 256))[Math.floor((position % 256) / 8)]!;
    return (byte >> (position % 8)) & 1 ? flip : index;
  };
  const check = (index: number) => {
    if (!(Number.isInteger(index) && index >= 0 && index < count))
      throw new RangeError(`index ${index} outside [0, ${count})`);
  };
  return {
    forward(index) {
      check(index);
      let i = index;
      for (let r = 0; r < SHUFFLE_ROUND_COUNT; r++) i = swapOrNot(i, r);
      return i;
    },
    inverse(index) {
      check(index);
      let i = index;
      for (let r = SHUFFLE_ROUND_COUNT - 1; r >= 0; r--) i = swapOrNot(i, r);
      return i;
    },
  };
}

/** consensus-specs compute_shuffled_index. */
export function shuffledIndex(index: number, count: number, seed: Hash): number {
  return makeShuffle(seed, count).forward(index);
}

/** The inverse of shuffledIndex. */
export function unshuffledIndex(index: number, count: number, seed: Hash): number {
  return makeShuffle(seed, count).inverse(index);
}

/** The seed of an epoch's duties: previous, current or next epoch of the state, else RangeError. */
export function epochSeed(pos: PosState, epoch: number, params: PosParams): Hash {
  const current = epochOf(pos.slot, params);
  const i = epoch - current + 1;
  if (i < 0 || i > 2)
    throw new RangeError(`epoch ${epoch} is not within one of the state's epoch ${current}`);
  return pos.seeds[i as 0 | 1 | 2];
}

/** The slot (committee) of shuffled position `i` of `n` (committee k holds [n*k/S, n*(k+1)/S)). */
function committeeOf(i: number, n: number, slotsPerEpoch: number): number {
  let k = Math.floor((i * slotsPerEpoch) / n);
  while (Math.floor((n * (k + 1)) / slotsPerEpoch) <= i) k++;
  while (Math.floor((n * k) / slotsPerEpoch) > i) k--;
  return k;
}

/** The slot in which validator `index` attests in `epoch`, or undefined when it is not active then. */
export function attestationSlotOf(
  validators: readonly Validator[],
  pos: PosState,
  index: number,
  epoch: number,
  params: PosParams,
): number | undefined {
  const active = activeIndicesOf(validators, epoch);
  const at = active.indexOf(index);
  if (at < 0) return undefined;
  // get_beacon_committee puts active[shuffled(i)] at position i: find i with shuffled(i) = at.
  const i = unshuffledIndex(at, active.length, epochSeed(pos, epoch, params));
  return epoch * params.slotsPerEpoch + committeeOf(i, active.length, params.slotsPerEpoch);
}

/** attestationSlotOf over a state; throws RangeError for an epoch beyond the state's seeds or an inactive validator. */
export function attestationSlot(
  state: StateReader,
  validatorIndex: number,
  epoch: number,
  params: PosParams,
): number {
  const pos = readPosState(state);
  const slot = attestationSlotOf(readAllValidators(state, pos), pos, validatorIndex, epoch, params);
  if (slot === undefined) throw new RangeError(`validator ${validatorIndex} is not active in epoch ${epoch}`);
  return slot;
}

/** Every slot's committee of an epoch (validator indices), for producers and tests. */
export function epochCommittees(
  validators: readonly Validator[],
  pos: PosState,
  epoch: number,
  params: PosParams,
): number[][] {
  const active = activeIndicesOf(validators, epoch);
  const n = active.length;
  const shuffle = makeShuffle(epochSeed(pos, epoch, params), n);
  const out: number[][] = [];
  for (let k = 0; k < params.slotsPerEpoch; k++) {
    const committee: number[] = [];
    const end = Math.floor((n * (k + 1)) / params.slotsPerEpoch);
    for (let i = Math.floor((n * k) / params.slotsPerEpoch); i < end; i++) {
      committee.push(active[shuffle.forward(i)]!);
    }
    out.push(committee);
  }
  return out;
}

/** Validator index -> attestation slot for one epoch (active validators only). */
export type EpochDuties = ReadonlyMap<number, number>;

/** The attestation slot of every active validator in `epoch` at once (one shuffle: cache it per state and epoch). */
export function epochDuties(
  validators: readonly Validator[],
  pos: PosState,
  epoch: number,
  params: PosParams,
): EpochDuties {
  const out = new Map<number, number>();
  epochCommittees(validators, pos, epoch, params).forEach((committee, k) => {
    for (const i of committee) out.set(i, epoch * params.slotsPerEpoch + k);
  });
  return out;
}

/** A lookup of attestation slots that computes each epoch's duties once. */
export function dutiesLookup(
  validators: readonly Validator[],
  pos: PosState,
  params: PosParams,
): (index: number, epoch: number) => number | undefined {
  const byEpoch = new Map<number, EpochDuties>();
  return (index, epoch) => {
    let duties = byEpoch.get(epoch);
    if (duties === undefined) {
      duties = epochDuties(validators, pos, epoch, params);
      byEpoch.set(epoch, duties);
    }
    return duties.get(index);
  };
}
