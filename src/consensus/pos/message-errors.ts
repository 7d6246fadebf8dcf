/**
 * Gossip-only refusals of PoS messages, beside the rule errors of errors.ts (PosError): what
 * depends on when a vote arrives or on what we have imported. A vote far beyond any clock drift,
 * or older than any honest relay would forward, is the sender's fault (REJECT); one merely late,
 * or for a head we have not imported, is not (IGNORE).
 */
import { ChainlabError } from "../../core/errors.ts";

/** Codes of PosMessageError. */
export type PosMessageErrorCode =
  | "ATTESTATION_FAR_FUTURE"
  | "ATTESTATION_EXPIRED"
  | "ATTESTATION_LATE"
  | "ATTESTATION_UNKNOWN_HEAD"
  | "POS_NOT_READY";

const BLAMELESS: ReadonlySet<string> = new Set([
  "ATTESTATION_LATE",
  "ATTESTATION_UNKNOWN_HEAD",
  "POS_NOT_READY",
]);

/** A PoS gossip message refused for its timing (REJECT when senderAtFault, else IGNORE). */
export class PosMessageError extends ChainlabError {
  declare readonly code: PosMessageErrorCode;
  constructor(code: PosMessageErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }

  override get senderAtFault(): boolean {
    return !BLAMELESS.has(this.code);
  }
}
