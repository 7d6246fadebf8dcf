/**
 * Attestations in blocks (consensus-specs process_attestation, Altair flags): the state checks in
 * the order cheapest first, then the signature (returned as a check so it can be batched).
 */
import { bytesEqual, type Hash } from "../../core/hash.ts";
import { PosError } from "./errors.ts";
import { epochOf, epochStartSlot, type PosParams } from "./params.ts";
import { attestationSlotOf } from "./shuffle.ts";
import type { SignatureCheck } from "./slashing.ts";
import { type Attestation, attestationSigningRoot, checkpointsEqual } from "./types.ts";
import {
  FLAG_HEAD,
  FLAG_INCLUDED,
  FLAG_TARGET,
  isActive,
  type PosState,
  type Validator,
} from "./validators.ts";

/**
 * Checks an attestation for inclusion in a block at `blockSlot` (the state advanced to it): epoch
 * window, validator (known and active in the target epoch), assigned slot, source, not yet included.
 * `slotOf` answers the assigned slot (processBlock passes a per-epoch cache, shuffle.ts dutiesLookup). Throws PosError; returns its signature check.
 */
export function attestationChecks(
  validators: readonly Validator[],
  pos: PosState,
  att: Attestation,
  blockSlot: number,
  domain: Hash,
  params: PosParams,
  slotOf: (index: number, epoch: number) => number | undefined = (index, epoch) =>
    attestationSlotOf(validators, pos, index, epoch, params),
): SignatureCheck {
  const { slot, source, target } = att.data;
  const current = epochOf(blockSlot, params);
  const fields = { validatorIndex: att.validatorIndex, slot, targetEpoch: target.epoch };
  if (target.epoch > current) {
    throw new PosError(
      "ATTESTATION_FUTURE_EPOCH",
      `target epoch ${target.epoch} is after epoch ${current}`,
      fields,
    );
  }
  if (target.epoch + 1 < current) {
    throw new PosError(
      "ATTESTATION_TOO_OLD",
      `target epoch ${target.epoch} is before epoch ${current - 1}`,
      fields,
    );
  }
  if (epochOf(slot, params) !== target.epoch) {
    throw new PosError(
      "ATTESTATION_BAD_TARGET_EPOCH",
      `slot ${slot} is not in target epoch ${target.epoch}`,
      fields,
    );
  }
  if (slot >= blockSlot) {
    throw new PosError(
      "ATTESTATION_FUTURE_SLOT",
      `slot ${slot} is not before the block's slot ${blockSlot}`,
      fields,
    );
  }
  const v = validators[att.validatorIndex];
  if (v === undefined)
    throw new PosError("ATTESTATION_UNKNOWN_VALIDATOR", `no validator ${att.validatorIndex}`, fields);
  if (!isActive(v, target.epoch)) {
    throw new PosError(
      "ATTESTATION_INACTIVE_VALIDATOR",
      `validator ${att.validatorIndex} is not active`,
      fields,
    );
  }
  // A slashed validator's vote is includable (consensus-specs process_attestation) but never counts:
  // evidence earlier in the same body must not void the block.
  const assigned = slotOf(att.validatorIndex, target.epoch);
  if (assigned !== slot) {
    throw new PosError(
      "ATTESTATION_WRONG_SLOT",
      `validator ${att.validatorIndex} attests in slot ${assigned}`,
      {
        ...fields,
        expected: assigned,
      },
    );
  }
  const expectedSource = target.epoch === current ? pos.currentJustified : pos.previousJustified;
  if (!checkpointsEqual(source, expectedSource)) {
    throw new PosError(
      "ATTESTATION_BAD_SOURCE",
      `source is not the justified checkpoint of epoch ${expectedSource.epoch}`,
      {
        ...fields,
        expected: expectedSource.epoch,
      },
    );
  }
  const flags = target.epoch === current ? v.currentFlags : v.previousFlags;
  if ((flags & FLAG_INCLUDED) !== 0) {
    throw new PosError(
      "ATTESTATION_DUPLICATE",
      `validator ${att.validatorIndex} already has a vote for epoch ${target.epoch}`,
      fields,
    );
  }
  return {
    message: attestationSigningRoot(domain, att.data),
    signature: att.signature,
    publicKey: v.publicKey,
  };
}

/** Records a checked attestation's participation flags on its validator (in place). */
export function recordAttestation(
  v: Validator,
  att: Attestation,
  blockSlot: number,
  rootAtSlot: (slot: number) => Hash,
  params: PosParams,
): void {
  const { target } = att.data;
  const targetOk = bytesEqual(target.root, rootAtSlot(epochStartSlot(target.epoch, params)));
  const headOk = targetOk && bytesEqual(att.data.head, rootAtSlot(att.data.slot));
  const flags = FLAG_INCLUDED | (targetOk ? FLAG_TARGET : 0) | (headOk ? FLAG_HEAD : 0);
  if (target.epoch === epochOf(blockSlot, params)) v.currentFlags |= flags;
  else v.previousFlags |= flags;
}
