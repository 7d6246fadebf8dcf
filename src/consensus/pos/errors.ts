/**
 * Errors of the PoS rules for attestations and slashing evidence (gossip and block bodies), and the
 * gossip-only timing refusals. Each carries a stable code; whether the sender is to blame travels
 * with it (a vote from a future slot or a duplicate depends on our clock or our state, not on the
 * sender's honesty).
 */
import { ChainlabError } from "../../core/errors.ts";

/** Codes of PosError. */
export type PosErrorCode =
  | "ATTESTATION_UNKNOWN_VALIDATOR"
  | "ATTESTATION_INACTIVE_VALIDATOR"
  | "ATTESTATION_SLASHED_VALIDATOR"
  | "ATTESTATION_FUTURE_EPOCH"
  | "ATTESTATION_TOO_OLD"
  | "ATTESTATION_BAD_TARGET_EPOCH"
  | "ATTESTATION_FUTURE_SLOT"
  | "ATTESTATION_WRONG_SLOT"
  | "ATTESTATION_BAD_SOURCE"
  | "ATTESTATION_DUPLICATE"
  | "ATTESTATION_BAD_SIGNATURE"
  | "EVIDENCE_DISABLED"
  | "EVIDENCE_DUPLICATE"
  | "EVIDENCE_STALE"
  | "EVIDENCE_ALREADY_SLASHED"
  | "EVIDENCE_BAD_SIGNATURE"
  | "EVIDENCE_NOT_SLASHABLE"
  | "EVIDENCE_UNKNOWN_VALIDATOR"
  // Gossip timing: a vote far beyond any clock drift, or older than any honest relay would forward,
  // is the sender's fault; one merely late, or for a head we have not imported, is not.
  | "ATTESTATION_FAR_FUTURE"
  | "ATTESTATION_EXPIRED"
  | "ATTESTATION_LATE"
  | "ATTESTATION_UNKNOWN_HEAD"
  | "POS_NOT_READY";

/** Codes that depend on the receiver's clock or state: gossip IGNORE, no penalty. */
const BLAMELESS: ReadonlySet<PosErrorCode> = new Set<PosErrorCode>([
  "ATTESTATION_FUTURE_EPOCH",
  "ATTESTATION_FUTURE_SLOT",
  "ATTESTATION_TOO_OLD",
  "ATTESTATION_DUPLICATE",
  "EVIDENCE_DUPLICATE",
  "EVIDENCE_STALE",
  "EVIDENCE_ALREADY_SLASHED",
  "ATTESTATION_LATE",
  "ATTESTATION_UNKNOWN_HEAD",
  "POS_NOT_READY",
]);

/** An attestation or a piece of evidence refused by the PoS rules. */
export class PosError extends ChainlabError {
  declare readonly code: PosErrorCode;
  constructor(code: PosErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }

  override get senderAtFault(): boolean {
    return !BLAMELESS.has(this.code);
  }
}
