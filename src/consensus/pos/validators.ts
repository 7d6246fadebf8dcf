/**
 * The validator registry and the PoS singleton record, stored in state (so stateRoot covers them).
 *
 * State keys (engine prefixes, core/account.ts):
 *   0x10 || index u32          -> Validator
 *   0x11 || publicKey 32       -> index u32
 *   0x12                       -> PosState
 *
 * Validator (140 bytes): publicKey 32 | withdrawal 20 | stake u64 | effective u64 | eligibilityEpoch u64
 *   | activationEpoch u64 | exitEpoch u64 | withdrawableEpoch u64 | slashed u8 | inactivityScore u64
 *   | previousFlags u8 | currentFlags u8
 * PosState: slot u64 | randaoMix 32 | seeds (previous, current, next epoch) 3 x 32 | justificationBits u8
 *   | previousJustified 40 | currentJustified 40 | finalized 40 | validatorCount u32 | exitQueueEpoch u64
 *   | exitQueueChurn u32 | rewardPool u64 | slashings u16 count + u64 each (one per epoch of the window)
 * Unset epochs are FAR_FUTURE_EPOCH (2^53 - 1).
 */
import { Reader, Writer } from "../../core/encoding.ts";
import { type Hash, sha256 } from "../../core/hash.ts";
import type { StateOverlay, StateReader } from "../../core/state.ts";
import type { Checkpoint } from "./types.ts";

/** State-key prefix of validator records: 0x10 || index u32. */
export const VALIDATOR_KEY_PREFIX = 0x10;
/** State-key prefix of the key index: 0x11 || publicKey -> index u32. */
export const PUBKEY_INDEX_KEY_PREFIX = 0x11;
/** State key of the PoS singleton record. */
export const POS_STATE_KEY = Uint8Array.of(0x12);
/** An epoch that never comes (unset activation, exit, withdrawal). */
export const FAR_FUTURE_EPOCH = Number.MAX_SAFE_INTEGER;
/** Most validators in a registry (indices are u32; the cap keeps epoch processing bounded). */
export const MAX_VALIDATORS = 1 << 20;

/** Participation flags of one epoch (Altair): the vote was included, its target was right, its head was right. */
export const FLAG_INCLUDED = 1;
/** The vote's target root was this chain's. */
export const FLAG_TARGET = 2;
/** The vote's head was this chain's block at its slot (and its target was right). */
export const FLAG_HEAD = 4;

/** One validator. `stake` is its balance; `effective` the hysteresis-rounded weight. */
export interface Validator {
  publicKey: Uint8Array;
  withdrawal: Uint8Array;
  stake: bigint;
  effective: bigint;
  /** The epoch it joined the activation queue. */
  eligibilityEpoch: number;
  activationEpoch: number;
  exitEpoch: number;
  withdrawableEpoch: number;
  slashed: boolean;
  inactivityScore: number;
  previousFlags: number;
  currentFlags: number;
}

/** The PoS singleton: randomness, finality, queues and the slashing window. */
export interface PosState {
  /** Slot of the last processed block (0 at genesis). */
  slot: number;
  randaoMix: Hash;
  /** Shuffling seeds of the previous, current and next epoch (fixed one epoch ahead). */
  seeds: [Hash, Hash, Hash];
  /** Bit 0: current epoch justified, bit 1: previous, ... (4 bits). */
  justificationBits: number;
  previousJustified: Checkpoint;
  currentJustified: Checkpoint;
  finalized: Checkpoint;
  validatorCount: number;
  exitQueueEpoch: number;
  exitQueueChurn: number;
  /** Penalties collected and issuance not yet paid out as attestation rewards. */
  rewardPool: bigint;
  /** Effective stake slashed per epoch of the window, indexed epoch % window. */
  slashings: bigint[];
}

const u32Bytes = (n: number) => new Writer(4).u32(n).finish();

/** The state key of validator `index`. */
export function validatorKey(index: number): Uint8Array {
  return Uint8Array.of(VALIDATOR_KEY_PREFIX, ...u32Bytes(index));
}

/** The state key of a validator key's index. */
export function pubkeyIndexKey(publicKey: Uint8Array): Uint8Array {
  return Uint8Array.of(PUBKEY_INDEX_KEY_PREFIX, ...publicKey);
}

/** The canonical encoding of a validator record. */
export function encodeValidator(v: Validator): Uint8Array {
  return new Writer(140)
    .fixed(v.publicKey, 32)
    .fixed(v.withdrawal, 20)
    .u64(v.stake)
    .u64(v.effective)
    .uint(v.eligibilityEpoch)
    .uint(v.activationEpoch)
    .uint(v.exitEpoch)
    .uint(v.withdrawableEpoch)
    .u8(v.slashed ? 1 : 0)
    .uint(v.inactivityScore)
    .u8(v.previousFlags)
    .u8(v.currentFlags)
    .finish();
}

function flags(r: Reader, field: string): number {
  const f = r.u8(field);
  if (f > 7) r.fail(`${field} ${f} has unknown bits`);
  return f;
}

/** Decodes a validator record; throws DecodeError. */
export function decodeValidator(bytes: Uint8Array): Validator {
  const r = new Reader(bytes, "validator");
  const v: Validator = {
    publicKey: r.fixed(32, "publicKey"),
    withdrawal: r.fixed(20, "withdrawal"),
    stake: r.u64("stake"),
    effective: r.u64("effective"),
    eligibilityEpoch: r.uint("eligibilityEpoch"),
    activationEpoch: r.uint("activationEpoch"),
    exitEpoch: r.uint("exitEpoch"),
    withdrawableEpoch: r.uint("withdrawableEpoch"),
    slashed: false,
    inactivityScore: 0,
    previousFlags: 0,
    currentFlags: 0,
  };
  const slashed = r.u8("slashed");
  if (slashed > 1) r.fail("slashed must be 0 or 1");
  v.slashed = slashed === 1;
  v.inactivityScore = r.uint("inactivityScore");
  v.previousFlags = flags(r, "previousFlags");
  v.currentFlags = flags(r, "currentFlags");
  r.end();
  return v;
}

function writeCheckpoint(w: Writer, c: Checkpoint): void {
  w.uint(c.epoch).fixed(c.root, 32);
}

function readCheckpoint(r: Reader, field: string): Checkpoint {
  return { epoch: r.uint(`${field}.epoch`), root: r.fixed(32, `${field}.root`) };
}

/** The canonical encoding of the PoS record. */
export function encodePosState(s: PosState): Uint8Array {
  const w = new Writer(320 + s.slashings.length * 8)
    .uint(s.slot)
    .fixed(s.randaoMix, 32)
    .fixed(s.seeds[0], 32)
    .fixed(s.seeds[1], 32)
    .fixed(s.seeds[2], 32)
    .u8(s.justificationBits);
  writeCheckpoint(w, s.previousJustified);
  writeCheckpoint(w, s.currentJustified);
  writeCheckpoint(w, s.finalized);
  w.u32(s.validatorCount)
    .uint(s.exitQueueEpoch)
    .u32(s.exitQueueChurn)
    .u64(s.rewardPool)
    .u16(s.slashings.length);
  for (const x of s.slashings) w.u64(x);
  return w.finish();
}

/** Decodes the PoS record; throws DecodeError. */
export function decodePosState(bytes: Uint8Array): PosState {
  const r = new Reader(bytes, "pos state");
  const slot = r.uint("slot");
  const randaoMix = r.fixed(32, "randaoMix");
  const seeds: [Hash, Hash, Hash] = [r.fixed(32, "seed0"), r.fixed(32, "seed1"), r.fixed(32, "seed2")];
  const justificationBits = r.u8("justificationBits");
  if (justificationBits > 15) r.fail("justificationBits has more than 4 bits");
  const s: PosState = {
    slot,
    randaoMix,
    seeds,
    justificationBits,
    previousJustified: readCheckpoint(r, "previousJustified"),
    currentJustified: readCheckpoint(r, "currentJustified"),
    finalized: readCheckpoint(r, "finalized"),
    validatorCount: r.u32("validatorCount"),
    exitQueueEpoch: r.uint("exitQueueEpoch"),
    exitQueueChurn: r.u32("exitQueueChurn"),
    rewardPool: r.u64("rewardPool"),
    slashings: [],
  };
  const n = r.count(2, 4096, "slashings");
  for (let i = 0; i < n; i++) s.slashings.push(r.u64("slashing"));
  r.end();
  return s;
}

/** Throws when a PoS chain's state lacks its PoS record (a bug: genesis writes it). */
function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`pos state: ${what} missing`);
  return v;
}

/** The PoS record of a PoS chain's state. */
export function readPosState(state: StateReader): PosState {
  return decodePosState(required(state.get(POS_STATE_KEY), "PoS record"));
}

/** Writes the PoS record. */
export function writePosState(state: StateOverlay, s: PosState): void {
  state.put(POS_STATE_KEY, encodePosState(s));
}

/** The validator at `index`, or undefined beyond the registry. */
export function findValidator(state: StateReader, index: number): Validator | undefined {
  const raw = state.get(validatorKey(index));
  return raw === undefined ? undefined : decodeValidator(raw);
}

/** The validator at `index` (it must exist). */
export function readValidator(state: StateReader, index: number): Validator {
  return required(findValidator(state, index), `validator ${index}`);
}

/** Writes the validator at `index`. */
export function writeValidator(state: StateOverlay, index: number, v: Validator): void {
  state.put(validatorKey(index), encodeValidator(v));
}

/** Appends a validator and indexes its key; returns its index. */
export function addValidator(state: StateOverlay, pos: PosState, v: Validator): number {
  const index = pos.validatorCount;
  if (index >= MAX_VALIDATORS) throw new RangeError(`registry full (${MAX_VALIDATORS} validators)`);
  writeValidator(state, index, v);
  state.put(pubkeyIndexKey(v.publicKey), u32Bytes(index));
  pos.validatorCount = index + 1;
  return index;
}

/** The index of a validator key, or undefined. */
export function indexOfPublicKey(state: StateReader, publicKey: Uint8Array): number | undefined {
  const raw = state.get(pubkeyIndexKey(publicKey));
  if (raw === undefined) return undefined;
  const r = new Reader(raw, "validator index");
  const i = r.u32("index");
  r.end();
  return i;
}

/** Every validator, in index order (epoch processing reads them all once). */
export function readAllValidators(state: StateReader, pos: PosState = readPosState(state)): Validator[] {
  const out: Validator[] = [];
  for (let i = 0; i < pos.validatorCount; i++) out.push(readValidator(state, i));
  return out;
}

/** Active in `epoch`: activated and not yet exited. */
export function isActive(v: Validator, epoch: number): boolean {
  return v.activationEpoch <= epoch && epoch < v.exitEpoch;
}

/** Slashable: active or exited but not yet withdrawable (is_slashable_validator). */
export function isSlashable(v: Validator, epoch: number): boolean {
  return !v.slashed && v.activationEpoch <= epoch && epoch < v.withdrawableEpoch;
}

/** Indices of the validators active in `epoch`, ascending. */
export function activeIndicesOf(validators: readonly Validator[], epoch: number): number[] {
  const out: number[] = [];
  validators.forEach((v, i) => {
    if (isActive(v, epoch)) out.push(i);
  });
  return out;
}

/** activeIndicesOf over a state. */
export function activeIndices(state: StateReader, epoch: number): number[] {
  return activeIndicesOf(readAllValidators(state), epoch);
}

/** get_total_active_balance: at least one increment so that no ratio divides by zero. */
export function totalActiveStakeOf(
  validators: readonly Validator[],
  epoch: number,
  increment: bigint,
): bigint {
  let total = 0n;
  for (const v of validators) if (isActive(v, epoch)) total += v.effective;
  return total > increment ? total : increment;
}

/** totalActiveStakeOf over a state. */
export function totalActiveStake(state: StateReader, epoch: number, increment: bigint): bigint {
  return totalActiveStakeOf(readAllValidators(state), epoch, increment);
}

/** The initial RANDAO mix: a commitment to the genesis validator keys. */
export function genesisMix(publicKeys: readonly Uint8Array[]): Hash {
  return sha256(new TextEncoder().encode("chainlab/pos/genesis-mix/v1"), ...publicKeys);
}
