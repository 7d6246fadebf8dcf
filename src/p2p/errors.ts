/** Errors of the peer-to-peer layer: req/resp failures, framing, bans, key files and lifecycle. */
import { ChainlabError } from "../core/errors.ts";

/** Codes of P2PError; stable, never reused for another meaning. */
export type P2PErrorCode =
  | "P2P_TIMEOUT"
  | "P2P_RATE_LIMITED"
  | "P2P_BAD_REQUEST"
  | "P2P_DUPLICATE_HASHES"
  | "P2P_BAD_RESPONSE"
  | "P2P_REMOTE_ERROR"
  | "P2P_FRAME_TOO_LARGE"
  | "P2P_STREAM_CLOSED"
  | "P2P_PROTOCOL_UNSUPPORTED"
  | "P2P_GENESIS_MISMATCH"
  | "P2P_FINALIZED_CONFLICT"
  | "P2P_PEER_BLOCKED"
  | "P2P_INVALID_MULTIADDR"
  | "P2P_DIAL_FAILED"
  | "P2P_KEY_FILE"
  | "P2P_NOT_STARTED"
  | "P2P_ALREADY_STARTED"
  | "P2P_START_FAILED"
  | "P2P_BAD_OPTIONS";

/** A failure in the network layer (a peer, a stream, or our own configuration). */
export class P2PError extends ChainlabError {
  declare readonly code: P2PErrorCode;
  constructor(code: P2PErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}
