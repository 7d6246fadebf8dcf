/** Errors of the mempool's own policy (capacity, replacement, duplicates); tx validity uses TxError. */
import { ChainlabError } from "../core/errors.ts";

/** Codes of MempoolError: a valid-looking tx that this pool's policy turns away. */
export type MempoolErrorCode =
  | "MEMPOOL_ALREADY_KNOWN"
  | "MEMPOOL_NONCE_GAP"
  | "MEMPOOL_REPLACEMENT_UNDERPRICED"
  | "MEMPOOL_SENDER_LIMIT"
  | "MEMPOOL_POOL_FULL";

/** A tx rejected by pool policy rather than by the chain's validity rules. */
export class MempoolError extends ChainlabError {
  declare readonly code: MempoolErrorCode;
  constructor(code: MempoolErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}
