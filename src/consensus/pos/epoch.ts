/**
 * Epoch processing (consensus-specs process_epoch, Altair order) over the registry held in memory:
 * justification and finalization, inactivity scores, rewards and penalties, registry updates
 * (ejection, activation queue), correlation slashing penalties, withdrawals, effective stake with
 * hysteresis, then the slashing window, participation and seeds rotate.
 */
import { U64_MAX } from "../../core/encoding.ts";
import type { Hash } from "../../core/hash.ts";
import { epochStartSlot, type PosParams } from "./params.ts";
import { activationExitEpoch, effectiveOf, initiateExit } from "./staking.ts";
import type { Checkpoint } from "./types.ts";
import {
  FAR_FUTURE_EPOCH,
  FLAG_TARGET,
  isActive,
  type PosState,
  totalActiveStakeOf,
  type Validator,
} from "./validators.ts";

/** What epoch processing needs from outside the registry. */
export interface EpochContext {
  /** The latest block root at or before `slot` on this chain (ZERO_HASH: genesis). */
  rootAtSlot(slot: number): Hash;
  /** Pays a withdrawn stake to its address. */
  credit(address: Uint8Array, amount: bigint): void;
}

function targetStake(validators: readonly Validator[], epoch: number, previous: boolean): bigint {
  let sum = 0n;
  for (const v of validators) {
    const flags = previous ? v.previousFlags : v.currentFlags;
    if (isActive(v, epoch) && !v.slashed && (flags & FLAG_TARGET) !== 0) sum += v.effective;
  }
  return sum;
}

/**
 * weigh_justification_and_finalization: 2/3 of the active stake on a target justifies it; the
 * four rules finalize the previous or current justified checkpoint from the last 4 epochs' bits.
 */
export function weighJustificationAndFinalization(
  pos: PosState,
  epoch: number,
  total: bigint,
  previousTarget: bigint,
  currentTarget: bigint,
  checkpointAt: (epoch: number) => Checkpoint,
): void {
  const oldPrevious = pos.previousJustified;
  const oldCurrent = pos.currentJustified;
  pos.previousJustified = pos.currentJustified;
  let bits = (pos.justificationBits << 1) & 0b1111;
  if (previousTarget * 3n >= total * 2n) {
    pos.currentJustified = checkpointAt(epoch - 1);
    bits |= 0b0010;
  }
  if (currentTarget * 3n >= total * 2n) {
    pos.currentJustified = checkpointAt(epoch);
    bits |= 0b0001;
  }
  pos.justificationBits = bits;
  // The 2nd/3rd/4th most recent epochs justified, the 2nd using the 4th as source.
  if ((bits & 0b1110) === 0b1110 && oldPrevious.epoch + 3 === epoch) pos.finalized = oldPrevious;
  // The 2nd/3rd most recent epochs justified, the 2nd using the 3rd as source.
  if ((bits & 0b0110) === 0b0110 && oldPrevious.epoch + 2 === epoch) pos.finalized = oldPrevious;
  // The 1st/2nd/3rd most recent epochs justified, the 1st using the 3rd as source.
  if ((bits & 0b0111) === 0b0111 && oldCurrent.epoch + 2 === epoch) pos.finalized = oldCurrent;
  // The 1st/2nd most recent epochs justified, the 1st using the 2nd as source.
  if ((bits & 0b0011) === 0b0011 && oldCurrent.epoch + 1 === epoch) pos.finalized = oldCurrent;
}

/** is_in_inactivity_leak at the end of `epoch`. */
export function isInLeak(pos: PosState, epoch: number, params: PosParams): boolean {
  return epoch - 1 - pos.finalized.epoch > params.minEpochsToInactivityPenalty;
}

/** Rewards and penalties apply to validators active in the previous epoch, or slashed and still locked. */
function isEligible(v: Validator, epoch: number): boolean {
  return isActive(v, epoch - 1) || (v.slashed && epoch < v.withdrawableEpoch);
}

function votedTarget(v: Validator): boolean {
  return !v.slashed && (v.previousFlags & FLAG_TARGET) !== 0;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function updateInactivityAndRewards(
  validators: Validator[],
  pos: PosState,
  epoch: number,
  params: PosParams,
): void {
  const leak = isInLeak(pos, epoch, params);
  const bias = params.inactivityScoreBias;
  // Issuance stops rather than overflow u64 (the supply must stay representable).
  if (pos.rewardPool + params.issuancePerEpoch <= U64_MAX) pos.rewardPool += params.issuancePerEpoch;
  for (const v of validators) {
    if (!isEligible(v, epoch)) continue;
    // process_inactivity_updates
    if (votedTarget(v)) v.inactivityScore -= Math.min(1, v.inactivityScore);
    else v.inactivityScore += bias;
    if (!leak) v.inactivityScore -= Math.min(params.inactivityScoreRecoveryRate, v.inactivityScore);
    // Attestation reward from the pool, or the inactivity penalty of a missed target.
    if (votedTarget(v)) {
      if (leak) continue;
      const pay = min(params.attestationReward, pos.rewardPool);
      v.stake += pay;
      pos.rewardPool -= pay;
    } else {
      const wanted =
        (v.effective * BigInt(v.inactivityScore)) / (BigInt(bias) * BigInt(params.inactivityPenaltyQuotient));
      const penalty = min(wanted, v.stake);
      v.stake -= penalty;
      pos.rewardPool += penalty;
    }
  }
}

function updateRegistry(validators: Validator[], pos: PosState, epoch: number, params: PosParams): void {
  for (const v of validators) {
    if (isActive(v, epoch) && v.effective <= params.ejectionStake) initiateExit(v, pos, epoch, params);
  }
  const queue: number[] = [];
  validators.forEach((v, i) => {
    if (
      v.activationEpoch === FAR_FUTURE_EPOCH &&
      v.exitEpoch === FAR_FUTURE_EPOCH &&
      v.eligibilityEpoch <= epoch
    ) {
      queue.push(i);
    }
  });
  queue.sort((a, b) => validators[a]!.eligibilityEpoch - validators[b]!.eligibilityEpoch || a - b);
  for (const i of queue.slice(0, params.churnLimit)) {
    validators[i]!.activationEpoch = activationExitEpoch(epoch, params);
  }
}

/** process_slashings: the correlation penalty, halfway through a slashed validator's lock. */
function applyCorrelationPenalties(
  validators: Validator[],
  pos: PosState,
  epoch: number,
  total: bigint,
  params: PosParams,
): void {
  let slashed = 0n;
  for (const x of pos.slashings) slashed += x;
  const adjusted = min(slashed * BigInt(params.proportionalSlashingMultiplier), total);
  const inc = params.effectiveIncrement;
  const half = Math.floor(params.slashingsWindowEpochs / 2);
  for (const v of validators) {
    if (!v.slashed || epoch + half !== v.withdrawableEpoch) continue;
    const penalty = min((((v.effective / inc) * adjusted) / total) * inc, v.stake);
    v.stake -= penalty;
    pos.rewardPool += penalty;
  }
}

function applyWithdrawals(validators: Validator[], epoch: number, ctx: EpochContext): void {
  for (const v of validators) {
    if (v.withdrawableEpoch <= epoch + 1 && v.stake > 0n) {
      ctx.credit(v.withdrawal, v.stake);
      v.stake = 0n;
      v.effective = 0n;
    }
  }
}

/** process_effective_balance_updates: hysteresis of a quarter increment down, 1.25 up. */
function updateEffective(validators: Validator[], params: PosParams): void {
  const quarter = params.effectiveIncrement / 4n;
  for (const v of validators) {
    if (v.stake + quarter < v.effective || v.effective + 5n * quarter < v.stake)
      v.effective = effectiveOf(v.stake, params);
  }
}

/**
 * Processes the end of `epoch` (the state moves to epoch + 1). Mutates `validators` and `pos`.
 * `blockless`: the chain has no block in `epoch` (it lies between a block's parent and the block).
 * Such an epoch is not counted by the inactivity leak, nor paid: with no block on the chain nobody
 * could have had a vote included, so there is nobody to tell apart. A departure from the
 * consensus-specs, which process those epochs like any other: a laboratory chain whose every node
 * was stopped for a while resumes where it stopped instead of having leaked every validator out
 * (a partition still leaks, because the side that makes blocks has no blockless epochs).
 */
export function processEpoch(
  validators: Validator[],
  pos: PosState,
  epoch: number,
  params: PosParams,
  ctx: EpochContext,
  blockless = false,
): void {
  const total = totalActiveStakeOf(validators, epoch, params.effectiveIncrement);
  if (epoch > 1) {
    weighJustificationAndFinalization(
      pos,
      epoch,
      total,
      targetStake(validators, epoch - 1, true),
      targetStake(validators, epoch, false),
      (e) => ({ epoch: e, root: ctx.rootAtSlot(epochStartSlot(e, params)) }),
    );
  }
  if (epoch > 0 && !blockless) updateInactivityAndRewards(validators, pos, epoch, params);
  updateRegistry(validators, pos, epoch, params);
  applyCorrelationPenalties(validators, pos, epoch, total, params);
  applyWithdrawals(validators, epoch, ctx);
  updateEffective(validators, params);
  pos.slashings[(epoch + 1) % params.slashingsWindowEpochs] = 0n;
  for (const v of validators) {
    v.previousFlags = v.currentFlags;
    v.currentFlags = 0;
  }
  pos.seeds = [pos.seeds[1], pos.seeds[2], pos.randaoMix];
}
