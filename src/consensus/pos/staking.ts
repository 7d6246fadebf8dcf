/**
 * Staking: `stake` bonds from the sender's balance, `unstake` starts an exit. The validator key is
 * the tx sender's key (the tx signature proves possession); `to` is the withdrawal address.
 *
 *   stake   (amount > 0, empty payload): a new key needs amount >= minStake and joins the activation
 *           queue; a known key that has not started exiting is topped up (same withdrawal address).
 *   unstake (amount 0, empty payload, `to` ignored): an active validator leaves through the exit
 *           queue; its stake stays locked and slashable for unbondingEpochs, then is paid to its
 *           withdrawal address by epoch processing.
 *
 * Activation and exit use consensus-specs queues: at most churnLimit per epoch, each at least
 * activationDelayEpochs + 1 after the epoch it was requested in.
 */
import { TxError } from "../../core/errors.ts";
import { bytesEqual } from "../../core/hash.ts";
import type { StateOverlay } from "../../core/state.ts";
import { type Tx, TxKind } from "../../core/tx.ts";
import { addressBytesOf } from "../../crypto/address.ts";
import { epochOf, type PosParams } from "./params.ts";
import {
  addValidator,
  FAR_FUTURE_EPOCH,
  indexOfPublicKey,
  isActive,
  type PosState,
  readPosState,
  readValidator,
  type Validator,
  writePosState,
  writeValidator,
} from "./validators.ts";

/** The effective stake of a balance: rounded down to the increment, capped. */
export function effectiveOf(stake: bigint, params: PosParams): bigint {
  const rounded = stake - (stake % params.effectiveIncrement);
  if (rounded > params.maxEffectiveStake) return params.maxEffectiveStake;
  return rounded;
}

/** A validator waiting in the activation queue since `epoch`. */
export function newValidator(
  publicKey: Uint8Array,
  withdrawal: Uint8Array,
  stake: bigint,
  epoch: number,
  params: PosParams,
): Validator {
  return {
    publicKey,
    withdrawal,
    stake,
    effective: effectiveOf(stake, params),
    eligibilityEpoch: epoch,
    activationEpoch: FAR_FUTURE_EPOCH,
    exitEpoch: FAR_FUTURE_EPOCH,
    withdrawableEpoch: FAR_FUTURE_EPOCH,
    slashed: false,
    inactivityScore: 0,
    previousFlags: 0,
    currentFlags: 0,
  };
}

/** The first epoch a change requested in `epoch` takes effect (compute_activation_exit_epoch). */
export function activationExitEpoch(epoch: number, params: PosParams): number {
  return epoch + 1 + params.activationDelayEpochs;
}

/** initiate_validator_exit: queue the exit under the churn limit (no-op when already exiting). */
export function initiateExit(v: Validator, pos: PosState, epoch: number, params: PosParams): void {
  if (v.exitEpoch !== FAR_FUTURE_EPOCH) return;
  const earliest = activationExitEpoch(epoch, params);
  if (pos.exitQueueEpoch < earliest) {
    pos.exitQueueEpoch = earliest;
    pos.exitQueueChurn = 0;
  }
  if (pos.exitQueueChurn >= params.churnLimit) {
    pos.exitQueueEpoch += 1;
    pos.exitQueueChurn = 0;
  }
  pos.exitQueueChurn += 1;
  v.exitEpoch = pos.exitQueueEpoch;
  v.withdrawableEpoch = v.exitEpoch + params.unbondingEpochs;
}

function debit(state: StateOverlay, tx: Tx, amount: bigint): void {
  const address = addressBytesOf(tx.from);
  const a = state.getAccount(address);
  // applyTx checked amount + fee before it took the fee; a direct caller gets the same refusal.
  if (a.balance < amount) {
    throw new TxError("TX_INSUFFICIENT_FUNDS", `balance ${a.balance} does not cover the stake ${amount}`);
  }
  state.setAccount(address, { balance: a.balance - amount, nonce: a.nonce });
}

function malformed(why: string): never {
  throw new TxError("TX_MALFORMED", why);
}

function applyStake(tx: Tx, state: StateOverlay, pos: PosState, epoch: number, params: PosParams): void {
  if (tx.amount === 0n) throw new TxError("TX_ZERO_AMOUNT", "stake amount must be positive");
  const index = indexOfPublicKey(state, tx.from);
  if (index === undefined) {
    if (tx.amount < params.minStake) {
      throw new TxError("TX_STAKE_TOO_LOW", `stake ${tx.amount} is below the minimum ${params.minStake}`, {
        got: tx.amount.toString(),
        expected: params.minStake.toString(),
      });
    }
    debit(state, tx, tx.amount);
    addValidator(state, pos, newValidator(tx.from, tx.to, tx.amount, epoch, params));
    return;
  }
  const v = readValidator(state, index);
  if (v.exitEpoch !== FAR_FUTURE_EPOCH || v.slashed) {
    throw new TxError("TX_VALIDATOR_EXITED", `validator ${index} is exiting or exited`, { index });
  }
  if (!bytesEqual(v.withdrawal, tx.to)) {
    throw new TxError(
      "TX_NOT_VALIDATOR_OWNER",
      `a top-up of validator ${index} must name its withdrawal address`,
      {
        index,
      },
    );
  }
  debit(state, tx, tx.amount);
  // The effective stake follows at the next epoch's hysteresis update.
  writeValidator(state, index, { ...v, stake: v.stake + tx.amount });
}

function applyUnstake(tx: Tx, state: StateOverlay, pos: PosState, epoch: number, params: PosParams): void {
  if (tx.amount !== 0n) malformed("unstake carries no amount");
  const index = indexOfPublicKey(state, tx.from);
  if (index === undefined) throw new TxError("TX_UNKNOWN_VALIDATOR", "the sender's key is not a validator");
  const v = readValidator(state, index);
  if (v.exitEpoch !== FAR_FUTURE_EPOCH) {
    throw new TxError("TX_VALIDATOR_EXITED", `validator ${index} already exits in epoch ${v.exitEpoch}`, {
      index,
    });
  }
  if (!isActive(v, epoch)) {
    throw new TxError("TX_VALIDATOR_NOT_ACTIVE", `validator ${index} is not active yet`, {
      index,
      activationEpoch: v.activationEpoch === FAR_FUTURE_EPOCH ? null : v.activationEpoch,
    });
  }
  initiateExit(v, pos, epoch, params);
  writeValidator(state, index, v);
}

/**
 * Applies a `stake` or `unstake` tx after applyTx took its fee and nonce, at `epoch` (the state's
 * epoch by default: txs run before the block's epoch transitions). Throws TxError.
 */
export function applyStakingTx(
  tx: Tx,
  state: StateOverlay,
  params: PosParams,
  epoch: number = epochOf(readPosState(state).slot, params),
): void {
  if (tx.payload.length !== 0)
    malformed(`${tx.kind === TxKind.stake ? "stake" : "unstake"} carries no payload`);
  const pos = readPosState(state);
  if (tx.kind === TxKind.stake) applyStake(tx, state, pos, epoch, params);
  else if (tx.kind === TxKind.unstake) applyUnstake(tx, state, pos, epoch, params);
  else throw new TxError("TX_UNSUPPORTED_KIND", `tx kind ${tx.kind} is not a staking tx`);
  writePosState(state, pos);
}
