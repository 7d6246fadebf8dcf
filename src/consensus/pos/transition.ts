/**
 * The PoS state transition, pure over a StateOverlay: the genesis registry, slot and epoch
 * advancement, and a block's effects (proposer, RANDAO, evidence, attestations, fees), in the
 * consensus-specs order. Every check that needs no signature runs first; the signatures are
 * verified last (or returned for the engine to batch).
 */
import { ChainlabError } from "../../core/errors.ts";
import { type Hash, sha256, toHex, ZERO_HASH } from "../../core/hash.ts";
import type { StateOverlay } from "../../core/state.ts";
import { creditAccount } from "../../core/state-transition.ts";
import { verify } from "../../crypto/ed25519.ts";
import { ConsensusError } from "../engine.ts";
import { attestationChecks, recordAttestation } from "./attestations.ts";
import { processEpoch } from "./epoch.ts";
import { PosError } from "./errors.ts";
import { epochOf, type PosParams } from "./params.ts";
import { proposerIndexOf } from "./proposer.ts";
import { dutiesLookup } from "./shuffle.ts";
import {
  attesterSlashingChecks,
  proposerSlashingChecks,
  type SignatureCheck,
  slashValidator,
} from "./slashing.ts";
import { newValidator } from "./staking.ts";
import {
  type Checkpoint,
  encodeAttestation,
  encodeAttesterSlashing,
  encodeProposerSlashing,
  type PosBody,
  randaoSigningRoot,
} from "./types.ts";
import {
  addValidator,
  genesisMix,
  type PosState,
  readAllValidators,
  readPosState,
  type Validator,
  writePosState,
  writeValidator,
} from "./validators.ts";

export { applyStakingTx } from "./staking.ts";

/** Writes the genesis registry (every genesis validator active from epoch 0) and the PoS record. */
export function posGenesisState(state: StateOverlay, params: PosParams): void {
  const mix = genesisMix(params.validators.map((v) => v.publicKey));
  const genesisCheckpoint: Checkpoint = { epoch: 0, root: ZERO_HASH };
  const pos: PosState = {
    slot: 0,
    randaoMix: mix,
    seeds: [mix, mix, mix],
    justificationBits: 0,
    previousJustified: genesisCheckpoint,
    currentJustified: genesisCheckpoint,
    finalized: genesisCheckpoint,
    validatorCount: 0,
    exitQueueEpoch: 0,
    exitQueueChurn: 0,
    rewardPool: 0n,
    slashings: new Array<bigint>(params.slashingsWindowEpochs).fill(0n),
  };
  for (const g of params.validators) {
    addValidator(state, pos, {
      ...newValidator(g.publicKey, g.withdrawal, g.stake, 0, params),
      activationEpoch: 0,
    });
  }
  writePosState(state, pos);
}

function writeAll(state: StateOverlay, validators: readonly Validator[]): void {
  validators.forEach((v, i) => {
    writeValidator(state, i, v);
  });
}

/**
 * process_slots: runs the epoch transition of every epoch boundary up to `slot` and sets the
 * state's slot. `rootAtSlot` names the checkpoint roots (the chain the state belongs to).
 */
export function advanceSlots(
  state: StateOverlay,
  slot: number,
  params: PosParams,
  rootAtSlot: (slot: number) => Hash,
): PosState {
  const pos = readPosState(state);
  if (slot < pos.slot) throw new RangeError(`cannot go back from slot ${pos.slot} to ${slot}`);
  const target = epochOf(slot, params);
  if (epochOf(pos.slot, params) < target) {
    const validators = readAllValidators(state, pos);
    const ctx = { rootAtSlot, credit: (a: Uint8Array, n: bigint) => creditAccount(state, a, n) };
    const last = epochOf(pos.slot, params);
    // Epochs after the parent's hold no block of this chain (see processEpoch's `blockless`).
    for (let e = last; e < target; e++) processEpoch(validators, pos, e, params, ctx, e > last);
    writeAll(state, validators);
  }
  pos.slot = slot;
  writePosState(state, pos);
  return pos;
}

/** A block's PoS input. */
export interface PosBlockInput {
  slot: number;
  proposerIndex: number;
  randaoReveal: Uint8Array;
  body: PosBody;
  fees: bigint;
  beneficiary: Uint8Array;
  rootAtSlot(slot: number): Hash;
  domain: Hash;
}

/** A signature check labelled with the body item it belongs to (for the error). */
export interface LabelledCheck extends SignatureCheck {
  what: "randao" | "proposerSlashing" | "attesterSlashing" | "attestation";
  item: number;
}

/** What processBlock returns: the checkpoints for the metadata, and the checks it did not verify. */
export interface PosMetaInfo {
  justified: Checkpoint;
  finalized: Checkpoint;
  /** The signatures still to verify (empty unless `verifySignatures: false`). */
  unverified: LabelledCheck[];
}

function bodyError(what: string, item: number, err: unknown): never {
  if (!(err instanceof ChainlabError)) throw err;
  throw new ConsensusError("BLOCK_BAD_ENGINE_BODY", `${what} ${item}: ${err.message}`, {
    reason: err.code,
    what,
    item,
    ...err.data,
  });
}

const SIGNATURE_CODES = {
  randao: "BLOCK_BAD_ENGINE_FIELDS",
  proposerSlashing: "EVIDENCE_BAD_SIGNATURE",
  attesterSlashing: "EVIDENCE_BAD_SIGNATURE",
  attestation: "ATTESTATION_BAD_SIGNATURE",
} as const;

/** Verifies labelled checks; throws the ConsensusError of the first that fails. */
export function verifyLabelledChecks(checks: readonly LabelledCheck[]): void {
  for (const c of checks) {
    if (verify(c.signature, c.message, c.publicKey)) continue;
    if (c.what === "randao")
      throw new ConsensusError("BLOCK_BAD_ENGINE_FIELDS", "RANDAO reveal does not verify", {});
    bodyError(c.what, c.item, new PosError(SIGNATURE_CODES[c.what], `${c.what} signature does not verify`));
  }
}

function refuseDuplicates(body: PosBody): void {
  const lists = [
    ["proposerSlashing", body.proposerSlashings.map(encodeProposerSlashing)],
    ["attesterSlashing", body.attesterSlashings.map(encodeAttesterSlashing)],
    ["attestation", body.attestations.map(encodeAttestation)],
  ] as const;
  for (const [what, encoded] of lists) {
    const seen = new Set<string>();
    encoded.forEach((b, i) => {
      const id = toHex(b);
      const code = what === "attestation" ? "ATTESTATION_DUPLICATE" : "EVIDENCE_DUPLICATE";
      if (seen.has(id)) bodyError(what, i, new PosError(code, "appears twice in the body"));
      seen.add(id);
    });
  }
}

/**
 * A block's PoS effects on the state of its parent: the epoch transitions up to its slot, the
 * proposer, the RANDAO reveal, slashings (whistleblower and proposer: the beneficiary),
 * attestations, then fees to the beneficiary. Throws ConsensusError (BLOCK_BAD_PROPOSER,
 * BLOCK_BAD_ENGINE_FIELDS, BLOCK_BAD_ENGINE_BODY with the item's code as `reason`).
 */
export function processBlock(
  state: StateOverlay,
  input: PosBlockInput,
  params: PosParams,
  options: { verifySignatures?: boolean } = {},
): PosMetaInfo {
  const parentSlot = readPosState(state).slot;
  if (input.slot <= parentSlot) {
    throw new ConsensusError(
      "BLOCK_BAD_ENGINE_FIELDS",
      `slot ${input.slot} is not after the parent's slot ${parentSlot}`,
      {
        got: input.slot,
        parentSlot,
      },
    );
  }
  const pos = advanceSlots(state, input.slot, params, input.rootAtSlot);
  const epoch = epochOf(input.slot, params);
  const validators = readAllValidators(state, pos);
  let expected: number;
  try {
    expected = proposerIndexOf(validators, pos, input.slot, params);
  } catch (err) {
    // Every validator has left: no block can be valid (the chain halts rather than the node).
    if (err instanceof RangeError) throw new ConsensusError("BLOCK_BAD_PROPOSER", err.message);
    throw err;
  }
  if (input.proposerIndex !== expected) {
    throw new ConsensusError("BLOCK_BAD_PROPOSER", `slot ${input.slot} is validator ${expected}'s`, {
      got: input.proposerIndex,
      expected,
    });
  }
  const checks: LabelledCheck[] = [
    {
      what: "randao",
      item: 0,
      message: randaoSigningRoot(input.domain, epoch),
      signature: input.randaoReveal,
      publicKey: validators[expected]!.publicKey,
    },
  ];
  const mix = sha256(input.randaoReveal);
  pos.randaoMix = pos.randaoMix.map((b, i) => b ^ mix[i]!);
  const { body } = input;
  if (!params.slashingEnabled && body.proposerSlashings.length + body.attesterSlashings.length > 0) {
    const what = body.proposerSlashings.length > 0 ? "proposerSlashing" : "attesterSlashing";
    bodyError(what, 0, new PosError("EVIDENCE_DISABLED", "slashing is disabled on this chain"));
  }
  refuseDuplicates(body);
  const slash = (
    what: "proposerSlashing" | "attesterSlashing",
    item: number,
    run: () => { index: number; checks: SignatureCheck[] },
  ) => {
    let found: { index: number; checks: SignatureCheck[] };
    try {
      found = run();
    } catch (err) {
      bodyError(what, item, err);
    }
    for (const c of found.checks) checks.push({ ...c, what, item });
    slashValidator(state, pos, found.index, input.beneficiary, input.beneficiary, epoch, params);
  };
  body.proposerSlashings.forEach((s, i) => {
    slash("proposerSlashing", i, () => proposerSlashingChecks(state, s, input.domain, epoch));
  });
  body.attesterSlashings.forEach((s, i) => {
    slash("attesterSlashing", i, () => attesterSlashingChecks(state, s, input.domain, epoch));
  });
  const current =
    body.proposerSlashings.length + body.attesterSlashings.length > 0
      ? readAllValidators(state, pos)
      : validators;
  const touched = new Set<number>();
  const slotOf = dutiesLookup(current, pos, params);
  body.attestations.forEach((att, i) => {
    try {
      checks.push({
        ...attestationChecks(current, pos, att, input.slot, input.domain, params, slotOf),
        what: "attestation",
        item: i,
      });
    } catch (err) {
      bodyError("attestation", i, err);
    }
    recordAttestation(current[att.validatorIndex]!, att, input.slot, input.rootAtSlot, params);
    touched.add(att.validatorIndex);
  });
  for (const i of touched) writeValidator(state, i, current[i]!);
  creditAccount(state, input.beneficiary, input.fees);
  writePosState(state, pos);
  const verifySignatures = options.verifySignatures ?? true;
  if (verifySignatures) verifyLabelledChecks(checks);
  return {
    justified: pos.currentJustified,
    finalized: pos.finalized,
    unverified: verifySignatures ? [] : checks,
  };
}
