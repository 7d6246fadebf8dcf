/**
 * PoS parameters from genesis.consensus.params, validated with one-line errors naming the field.
 * Defaults follow the consensus-specs "minimal" preset where it has an equivalent, scaled to a
 * local testnet (8-slot epochs, short delays); every fraction is configurable in genesis.
 */
import { MAX_ENGINE_BODY } from "../../core/block.ts";
import { U64_MAX } from "../../core/encoding.ts";
import type { Json } from "../../core/genesis.ts";
import { fromHex, toHex } from "../../core/hash.ts";
import { ADDRESS_SIZE } from "../../crypto/address.ts";
import { PUBLIC_KEY_SIZE } from "../../crypto/ed25519.ts";
import { ConsensusError } from "../engine.ts";
import { ATTESTATION_SIZE, MAX_PROPOSER_SLASHING_SIZE, POS_BODY_FIXED_SIZE } from "./types.ts";

/** A validator bonded at genesis. */
export interface GenesisValidator {
  publicKey: Uint8Array;
  stake: bigint;
  /** Address bytes (20) that receive the stake when it is withdrawn. */
  withdrawal: Uint8Array;
}

/** Validated PoS parameters. */
export interface PosParams {
  slotMs: number;
  slotsPerEpoch: number;
  /** Smallest stake a `stake` tx may bond (base units). */
  minStake: bigint;
  /** Cap of the effective balance (MAX_EFFECTIVE_BALANCE): weights and penalties use it. */
  maxEffectiveStake: bigint;
  /** Effective balances are multiples of this (EFFECTIVE_BALANCE_INCREMENT). */
  effectiveIncrement: bigint;
  /** A validator whose effective stake falls to this is exited (EJECTION_BALANCE). */
  ejectionStake: bigint;
  /** Epochs between the epoch a validator is taken from the queue and its activation. */
  activationDelayEpochs: number;
  /** Validators activated, and validators exited, per epoch at most. */
  churnLimit: number;
  /** Epochs between exit and withdrawal (MIN_VALIDATOR_WITHDRAWABILITY_DELAY). */
  unbondingEpochs: number;
  /** Epochs a slashed validator stays locked; the correlation penalty falls in the middle (EPOCHS_PER_SLASHINGS_VECTOR). */
  slashingsWindowEpochs: number;
  minSlashingPenaltyQuotient: number;
  proportionalSlashingMultiplier: number;
  whistleblowerRewardQuotient: number;
  /** The including proposer gets whistleblowerReward / proposerRewardQuotient of it. */
  proposerRewardQuotient: number;
  inactivityPenaltyQuotient: number;
  inactivityScoreBias: number;
  inactivityScoreRecoveryRate: number;
  /** The leak starts when finality is more than this many epochs behind (MIN_EPOCHS_TO_INACTIVITY_PENALTY). */
  minEpochsToInactivityPenalty: number;
  /** Paid per epoch to each validator with a correct target vote, from the reward pool. */
  attestationReward: bigint;
  /** New coins added to the reward pool per epoch (0: no issuance). */
  issuancePerEpoch: bigint;
  slashingEnabled: boolean;
  maxAttestationsPerBlock: number;
  maxEvidencePerBlock: number;
  maxFutureDriftMs: number;
  validators: GenesisValidator[];
}

/** One coin in base units (the PoW block reward is 50 coins). */
const COIN = 1_0000_0000n;

/** Defaults for a local testnet; `validators` empty. */
export function defaultPosParams(slotMs = 1000, slotsPerEpoch = 8): PosParams {
  return {
    slotMs,
    slotsPerEpoch,
    minStake: 32n * COIN,
    maxEffectiveStake: 2048n * COIN,
    effectiveIncrement: COIN,
    ejectionStake: 16n * COIN,
    activationDelayEpochs: 2,
    churnLimit: 4,
    unbondingEpochs: 8,
    slashingsWindowEpochs: 16,
    minSlashingPenaltyQuotient: 128,
    proportionalSlashingMultiplier: 1,
    whistleblowerRewardQuotient: 512,
    proposerRewardQuotient: 8,
    inactivityPenaltyQuotient: 1 << 16,
    inactivityScoreBias: 4,
    inactivityScoreRecoveryRate: 16,
    minEpochsToInactivityPenalty: 4,
    attestationReward: 1000n,
    issuancePerEpoch: 0n,
    slashingEnabled: true,
    maxAttestationsPerBlock: 512,
    maxEvidencePerBlock: 16,
    maxFutureDriftMs: 500,
    validators: [],
  };
}

const INT_FIELDS = [
  "slotMs",
  "slotsPerEpoch",
  "activationDelayEpochs",
  "churnLimit",
  "unbondingEpochs",
  "slashingsWindowEpochs",
  "minSlashingPenaltyQuotient",
  "proportionalSlashingMultiplier",
  "whistleblowerRewardQuotient",
  "proposerRewardQuotient",
  "inactivityPenaltyQuotient",
  "inactivityScoreBias",
  "inactivityScoreRecoveryRate",
  "minEpochsToInactivityPenalty",
  "maxAttestationsPerBlock",
  "maxEvidencePerBlock",
  "maxFutureDriftMs",
] as const;
type IntField = (typeof INT_FIELDS)[number];

const AMOUNT_FIELDS = [
  "minStake",
  "maxEffectiveStake",
  "effectiveIncrement",
  "ejectionStake",
  "attestationReward",
  "issuancePerEpoch",
] as const;
type AmountField = (typeof AMOUNT_FIELDS)[number];

/** [min, max] of each integer parameter. */
const INT_RANGES: Record<IntField, [number, number]> = {
  slotMs: [10, 3_600_000],
  slotsPerEpoch: [1, 1024],
  // At least 1: the active set of the next epoch (whose duties are known a epoch ahead) is then fixed.
  activationDelayEpochs: [1, 1_000_000],
  churnLimit: [1, 1_000_000],
  unbondingEpochs: [1, 1_000_000],
  slashingsWindowEpochs: [2, 4096],
  minSlashingPenaltyQuotient: [1, 2 ** 32],
  proportionalSlashingMultiplier: [0, 1024],
  whistleblowerRewardQuotient: [1, 2 ** 32],
  proposerRewardQuotient: [1, 2 ** 32],
  inactivityPenaltyQuotient: [1, 2 ** 40],
  inactivityScoreBias: [1, 2 ** 20],
  inactivityScoreRecoveryRate: [0, 2 ** 20],
  minEpochsToInactivityPenalty: [1, 1_000_000],
  maxAttestationsPerBlock: [0, 65_535],
  maxEvidencePerBlock: [0, 255],
  maxFutureDriftMs: [0, 3_600_000],
};

/** Most genesis validators (their records are written at genesis). */
export const MAX_GENESIS_VALIDATORS = 100_000;

/** PoS parameters as genesis JSON (amounts as strings, keys as hex, withdrawal as address hex). */
export function posParamsToJson(p: PosParams): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of INT_FIELDS) out[f] = p[f];
  for (const f of AMOUNT_FIELDS) out[f] = p[f].toString();
  out.slashingEnabled = p.slashingEnabled;
  out.validators = p.validators.map((v) => ({
    publicKey: toHex(v.publicKey),
    stake: v.stake.toString(),
    withdrawal: toHex(v.withdrawal),
  }));
  return out;
}

function fail(field: string, why: string): never {
  throw new ConsensusError("CONSENSUS_BAD_PARAMS", `genesis consensus.params.${field}: ${why}`, { field });
}

function int(v: Json | undefined, field: IntField): number {
  const [min, max] = INT_RANGES[field];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    fail(field, `must be an integer in [${min}, ${max}]`);
  }
  return v;
}

function amount(v: Json | undefined, field: string): bigint {
  if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v) || BigInt(v) > U64_MAX) {
    fail(field, "must be an integer string within u64");
  }
  return BigInt(v);
}

function hexBytes(v: Json | undefined, size: number, field: string): Uint8Array {
  if (typeof v !== "string" || !/^[0-9a-f]*$/.test(v) || v.length !== size * 2) {
    fail(field, `must be ${size} bytes of lower-case hex`);
  }
  return fromHex(v);
}

function parseValidators(v: Json | undefined): GenesisValidator[] {
  if (!Array.isArray(v)) fail("validators", "must be an array");
  if (v.length > MAX_GENESIS_VALIDATORS) fail("validators", `more than ${MAX_GENESIS_VALIDATORS}`);
  const seen = new Set<string>();
  return v.map((raw, i) => {
    const field = `validators[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(field, "must be an object");
    for (const k of Object.keys(raw))
      if (!["publicKey", "stake", "withdrawal"].includes(k)) fail(`${field}.${k}`, "unknown field");
    const publicKey = hexBytes(raw.publicKey, PUBLIC_KEY_SIZE, `${field}.publicKey`);
    const id = toHex(publicKey);
    if (seen.has(id)) fail(`${field}.publicKey`, "duplicate validator key");
    seen.add(id);
    return {
      publicKey,
      stake: amount(raw.stake, `${field}.stake`),
      withdrawal: hexBytes(raw.withdrawal, ADDRESS_SIZE, `${field}.withdrawal`),
    };
  });
}

/** Parses and checks PoS params; throws ConsensusError CONSENSUS_BAD_PARAMS naming the field. */
export function parsePosParams(raw: Record<string, Json>): PosParams {
  const known = new Set(Object.keys(posParamsToJson(defaultPosParams())));
  for (const k of Object.keys(raw)) if (!known.has(k)) fail(k, "unknown parameter");
  const ints = {} as Record<IntField, number>;
  for (const f of INT_FIELDS) ints[f] = int(raw[f], f);
  const amounts = {} as Record<AmountField, bigint>;
  for (const f of AMOUNT_FIELDS) amounts[f] = amount(raw[f], f);
  if (typeof raw.slashingEnabled !== "boolean") fail("slashingEnabled", "must be true or false");
  const p: PosParams = {
    ...ints,
    ...amounts,
    slashingEnabled: raw.slashingEnabled,
    validators: parseValidators(raw.validators),
  };
  if (p.effectiveIncrement === 0n) fail("effectiveIncrement", "must be positive");
  if (p.minStake < p.effectiveIncrement) fail("minStake", "is below effectiveIncrement");
  if (p.maxEffectiveStake < p.minStake) fail("maxEffectiveStake", "is below minStake");
  if (p.ejectionStake >= p.minStake) fail("ejectionStake", "must be below minStake");
  if (p.maxEffectiveStake % p.effectiveIncrement !== 0n)
    fail("maxEffectiveStake", "is not a multiple of effectiveIncrement");
  const bodyMax =
    POS_BODY_FIXED_SIZE +
    p.maxAttestationsPerBlock * ATTESTATION_SIZE +
    p.maxEvidencePerBlock * (MAX_PROPOSER_SLASHING_SIZE + 2 * ATTESTATION_SIZE);
  if (bodyMax > MAX_ENGINE_BODY) {
    fail("maxAttestationsPerBlock", `a full body (${bodyMax} bytes) exceeds ${MAX_ENGINE_BODY} bytes`);
  }
  let bonded = 0n;
  p.validators.forEach((v, i) => {
    if (v.stake < p.minStake) fail(`validators[${i}].stake`, "is below minStake");
    bonded += v.stake;
  });
  if (bonded > U64_MAX) fail("validators", "total stake exceeds u64");
  if (p.validators.length === 0) fail("validators", "must name at least one validator");
  return p;
}

/** Knobs a genesis generator sets on a new PoS chain (CLI `genesis new`, testnets). */
export interface PosGenesisOptions
  extends Partial<Omit<PosParams, "slotMs" | "slotsPerEpoch" | "validators">> {
  slotMs: number;
  slotsPerEpoch: number;
  validators: GenesisValidator[];
}

/** The genesis.consensus.params of a new PoS chain (validated: throws CONSENSUS_BAD_PARAMS). */
export function posGenesisParams(o: PosGenesisOptions): Record<string, Json> {
  const params: PosParams = { ...defaultPosParams(o.slotMs, o.slotsPerEpoch) };
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (params as unknown as Record<string, unknown>)[k] = v;
  const json = posParamsToJson(params);
  parsePosParams(json);
  return json;
}

/** The epoch of a slot. */
export function epochOf(slot: number, p: Pick<PosParams, "slotsPerEpoch">): number {
  return Math.floor(slot / p.slotsPerEpoch);
}

/** The first slot of an epoch. */
export function epochStartSlot(epoch: number, p: Pick<PosParams, "slotsPerEpoch">): number {
  return epoch * p.slotsPerEpoch;
}
