/** Errors of the slashing-protection DB: refusals to sign, bad input and bad interchange files. */
import { ChainlabError } from "../../../core/errors.ts";

/** Codes of ProtectionError. */
export type ProtectionErrorCode =
  /** A block at a slot already signed with another (or an unknown) signing root. */
  | "PROTECTION_DOUBLE_BLOCK"
  /** A block at or below the lowest slot in the history (the low watermark). */
  | "PROTECTION_BLOCK_BELOW_MIN"
  /** An attestation for a target epoch already voted for with other (or unknown) data. */
  | "PROTECTION_DOUBLE_VOTE"
  /** An attestation that surrounds one in the history. */
  | "PROTECTION_SURROUNDING_VOTE"
  /** An attestation that one in the history surrounds. */
  | "PROTECTION_SURROUNDED_VOTE"
  /** An attestation whose source epoch is below the lowest source in the history. */
  | "PROTECTION_SOURCE_BELOW_MIN"
  /** An attestation whose target epoch is at or below the lowest target in the history. */
  | "PROTECTION_TARGET_BELOW_MIN"
  /** An attestation whose source epoch is after its target epoch. */
  | "PROTECTION_SOURCE_AFTER_TARGET"
  /** A pubkey, slot, epoch or signing root that is not well formed. */
  | "PROTECTION_BAD_INPUT"
  /** An interchange file that is not valid EIP-3076 JSON or exceeds a bound. */
  | "PROTECTION_BAD_INTERCHANGE"
  /** An interchange format version other than 5. */
  | "PROTECTION_UNSUPPORTED_VERSION"
  /** A DB or interchange for another chain (genesis_validators_root). */
  | "PROTECTION_GENESIS_MISMATCH"
  /** A key's DB whose records do not decode. */
  | "PROTECTION_CORRUPT"
  /** The DB was closed. */
  | "PROTECTION_CLOSED";

/** A message the DB refuses to let be signed, or input it cannot use. Never a peer's fault. */
export class ProtectionError extends ChainlabError {
  declare readonly code: ProtectionErrorCode;
  constructor(code: ProtectionErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }

  override get senderAtFault(): boolean {
    return false;
  }
}
