/**
 * Slashing evidence and penalties (consensus-specs process_proposer_slashing,
 * process_attester_slashing, slash_validator). Cheap state checks run before signatures, and the
 * signature checks are exposed as data so the engine can batch them.
 *
 * Penalties: effective / minSlashingPenaltyQuotient at once, and a correlation penalty halfway
 * through the slashings window (epoch.ts). Whistleblower and proposer rewards are paid out of the
 * initial penalty (no issuance): whistleblowerReward = effective / whistleblowerRewardQuotient, of
 * which the proposer gets whistleblowerReward / proposerRewardQuotient; the rest of the penalty
 * goes to the reward pool.
 */

import { DecodeError, TxError } from "../../core/errors.ts";
import { bytesEqual, type Hash } from "../../core/hash.ts";
import type { StateOverlay, StateReader } from "../../core/state.ts";
import { creditAccount } from "../../core/state-transition.ts";
import type { Tx } from "../../core/tx.ts";
import { addressBytesOf } from "../../crypto/address.ts";
import { verify } from "../../crypto/ed25519.ts";
import { PosError } from "./errors.ts";
import { epochOf, type PosParams } from "./params.ts";
import { initiateExit } from "./staking.ts";
import {
  type AttesterSlashing,
  attestationSigningRoot,
  blockSigningRoot,
  decodeEvidence,
  type Evidence,
  isSlashableAttestationData,
  type ProposerSlashing,
  posFieldsOf,
} from "./types.ts";
import {
  findValidator,
  type PosState,
  readPosState,
  readValidator,
  type Validator,
  writePosState,
  writeValidator,
} from "./validators.ts";

/** One signature a rule needs verified. */
export interface SignatureCheck {
  message: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

/** Evidence that passed its state checks: the offender and the signatures still to verify. */
export interface EvidenceChecks {
  index: number;
  checks: SignatureCheck[];
}

/** The offender must exist, be activated, not be slashed and still hold its stake. */
function slashableOffender(state: StateReader, index: number, epoch: number): Validator {
  const v = findValidator(state, index);
  if (v === undefined || v.activationEpoch > epoch) {
    throw new PosError("EVIDENCE_UNKNOWN_VALIDATOR", `no active validator ${index}`, { index });
  }
  if (v.slashed)
    throw new PosError("EVIDENCE_ALREADY_SLASHED", `validator ${index} is already slashed`, { index });
  if (epoch >= v.withdrawableEpoch) {
    throw new PosError(
      "EVIDENCE_STALE",
      `validator ${index} was withdrawable at epoch ${v.withdrawableEpoch}`,
      {
        index,
      },
    );
  }
  return v;
}

/**
 * Checks a proposer slashing against the state without its signatures: two different signed
 * headers of one proposer for one slot. Throws PosError; returns the signature checks.
 */
export function proposerSlashingChecks(
  state: StateReader,
  s: ProposerSlashing,
  domain: Hash,
  epoch: number,
): EvidenceChecks {
  const fa = posFieldsOf(s.a);
  const fb = posFieldsOf(s.b);
  if (fa.slot !== fb.slot || fa.proposerIndex !== fb.proposerIndex) {
    throw new PosError("EVIDENCE_NOT_SLASHABLE", "the headers are not of one proposer and slot", {
      slots: [fa.slot, fb.slot],
      proposers: [fa.proposerIndex, fb.proposerIndex],
    });
  }
  const ra = blockSigningRoot(domain, s.a);
  const rb = blockSigningRoot(domain, s.b);
  if (bytesEqual(ra, rb)) throw new PosError("EVIDENCE_NOT_SLASHABLE", "the two headers are the same block");
  const v = slashableOffender(state, fa.proposerIndex, epoch);
  return {
    index: fa.proposerIndex,
    checks: [
      { message: ra, signature: fa.signature, publicKey: v.publicKey },
      { message: rb, signature: fb.signature, publicKey: v.publicKey },
    ],
  };
}

/** Checks an attester slashing without its signatures: one validator's double or surround vote. */
export function attesterSlashingChecks(
  state: StateReader,
  s: AttesterSlashing,
  domain: Hash,
  epoch: number,
): EvidenceChecks {
  if (s.a.validatorIndex !== s.b.validatorIndex) {
    throw new PosError("EVIDENCE_NOT_SLASHABLE", "the attestations are of two validators", {
      validators: [s.a.validatorIndex, s.b.validatorIndex],
    });
  }
  if (!isSlashableAttestationData(s.a.data, s.b.data)) {
    throw new PosError("EVIDENCE_NOT_SLASHABLE", "neither a double vote nor a surround vote");
  }
  const v = slashableOffender(state, s.a.validatorIndex, epoch);
  return {
    index: s.a.validatorIndex,
    checks: [
      { message: attestationSigningRoot(domain, s.a.data), signature: s.a.signature, publicKey: v.publicKey },
      { message: attestationSigningRoot(domain, s.b.data), signature: s.b.signature, publicKey: v.publicKey },
    ],
  };
}

/** Verifies the signature checks of evidence; throws EVIDENCE_BAD_SIGNATURE. */
export function verifyEvidenceSignatures(e: EvidenceChecks): number {
  for (const c of e.checks) {
    if (!verify(c.signature, c.message, c.publicKey)) {
      throw new PosError(
        "EVIDENCE_BAD_SIGNATURE",
        `evidence signature of validator ${e.index} does not verify`,
        {
          index: e.index,
        },
      );
    }
  }
  return e.index;
}

/** The epoch evidence is judged at: the state's. */
function stateEpoch(state: StateReader, params: Pick<PosParams, "slotsPerEpoch">): number {
  return epochOf(readPosState(state).slot, params);
}

/** A proposer slashing valid against `state` at its epoch; returns the offender. Throws PosError. */
export function verifyProposerSlashing(
  state: StateReader,
  s: ProposerSlashing,
  domain: Hash,
  params: Pick<PosParams, "slotsPerEpoch">,
): number {
  return verifyEvidenceSignatures(proposerSlashingChecks(state, s, domain, stateEpoch(state, params)));
}

/** An attester slashing valid against `state` at its epoch; returns the offender. Throws PosError. */
export function verifyAttesterSlashing(
  state: StateReader,
  s: AttesterSlashing,
  domain: Hash,
  params: Pick<PosParams, "slotsPerEpoch">,
): number {
  return verifyEvidenceSignatures(attesterSlashingChecks(state, s, domain, stateEpoch(state, params)));
}

/** What one slashing moved. */
export interface SlashOutcome {
  penalty: bigint;
  whistleblowerReward: bigint;
  proposerReward: bigint;
}

/**
 * slash_validator: exit, mark slashed, lock until epoch + slashingsWindowEpochs, record the
 * effective stake in the window, take the initial penalty and pay whistleblower and proposer
 * (addresses; the same address when the proposer found the evidence) from it.
 */
export function slashValidator(
  state: StateOverlay,
  pos: PosState,
  index: number,
  whistleblower: Uint8Array,
  proposer: Uint8Array,
  epoch: number,
  params: PosParams,
): SlashOutcome {
  const v = readValidator(state, index);
  initiateExit(v, pos, epoch, params);
  v.slashed = true;
  const locked = epoch + params.slashingsWindowEpochs;
  if (v.withdrawableEpoch < locked) v.withdrawableEpoch = locked;
  const w = params.slashingsWindowEpochs;
  pos.slashings[epoch % w] = (pos.slashings[epoch % w] ?? 0n) + v.effective;
  const wanted = v.effective / BigInt(params.minSlashingPenaltyQuotient);
  const penalty = wanted < v.stake ? wanted : v.stake;
  v.stake -= penalty;
  writeValidator(state, index, v);
  const reward = v.effective / BigInt(params.whistleblowerRewardQuotient);
  const paid = reward < penalty ? reward : penalty;
  const proposerReward = paid / BigInt(params.proposerRewardQuotient);
  const whistleblowerReward = paid - proposerReward;
  creditAccount(state, proposer, proposerReward);
  creditAccount(state, whistleblower, whistleblowerReward);
  pos.rewardPool += penalty - paid;
  return { penalty, whistleblowerReward, proposerReward };
}

/**
 * An `evidence` tx (kind 3): payload = encodeEvidence(...), amount 0. The sender is the
 * whistleblower and, as the tx cannot name the block's proposer, gets both reward shares (the
 * proposer earns the tx fee). Throws TxError: TX_MALFORMED, TX_UNSUPPORTED_KIND when slashing is
 * disabled, TX_BAD_EVIDENCE with the PosError code as `reason`.
 */
export function applyEvidenceTx(tx: Tx, state: StateOverlay, params: PosParams, domain: Hash): SlashOutcome {
  if (!params.slashingEnabled) throw new TxError("TX_UNSUPPORTED_KIND", "slashing is disabled on this chain");
  if (tx.amount !== 0n) throw new TxError("TX_MALFORMED", "evidence carries no amount");
  let evidence: Evidence;
  try {
    evidence = decodeEvidence(tx.payload);
  } catch (err) {
    if (err instanceof DecodeError) throw new TxError("TX_MALFORMED", `evidence payload: ${err.message}`);
    throw err;
  }
  const pos = readPosState(state);
  const epoch = epochOf(pos.slot, params);
  let index: number;
  try {
    index = verifyEvidenceSignatures(
      evidence.kind === "proposer"
        ? proposerSlashingChecks(state, evidence.slashing, domain, epoch)
        : attesterSlashingChecks(state, evidence.slashing, domain, epoch),
    );
  } catch (err) {
    if (!(err instanceof PosError)) throw err;
    throw new TxError("TX_BAD_EVIDENCE", err.message, { reason: err.code, ...err.data });
  }
  const whistleblower = addressBytesOf(tx.from);
  const out = slashValidator(state, pos, index, whistleblower, whistleblower, epoch, params);
  writePosState(state, pos);
  return out;
}
