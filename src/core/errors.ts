/**
 * The one base error of chainlab. Every error carries a stable string `code` that the RPC maps to
 * JSON-RPC errors and the CLI to one-line messages; `data` holds structured fields such as
 * `{ got, expected }`. Codes are never reused for another meaning.
 */
export class ChainlabError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown>;

  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.data = data;
  }

  /**
   * Whether a peer that sent the object that raised this error is to blame (gossip REJECT, a
   * penalty) or not (IGNORE): errors that depend on the receiver's own state, clock or storage
   * override this with false. The verdict travels with the error (Lodestar's GossipActionError).
   */
  get senderAtFault(): boolean {
    return true;
  }
}

/** Codes of DecodeError: bytes that are not the canonical encoding of an object. */
export type DecodeErrorCode =
  | "DECODE_TRUNCATED"
  | "DECODE_TRAILING_BYTES"
  | "DECODE_TOO_LARGE"
  | "DECODE_NON_CANONICAL"
  | "DECODE_BAD_VALUE";

/** Raised by every decoder on malformed input; never anything else. */
export class DecodeError extends ChainlabError {
  declare readonly code: DecodeErrorCode;
  constructor(code: DecodeErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Codes of TxError: a transaction that is invalid on its own or against the state. */
export type TxErrorCode =
  | "TX_MALFORMED"
  | "TX_BAD_SIGNATURE"
  | "TX_WRONG_CHAIN"
  | "TX_NONCE_TOO_LOW"
  | "TX_NONCE_TOO_HIGH"
  | "TX_INSUFFICIENT_FUNDS"
  | "TX_ZERO_AMOUNT"
  | "TX_NEGATIVE_AMOUNT"
  | "TX_OVERFLOW"
  | "TX_SELF_TRANSFER"
  | "TX_FEE_TOO_LOW"
  | "TX_EXPIRED"
  | "TX_UNSUPPORTED_KIND"
  // Staking (consensus/pos/staking.ts): state-dependent refusals of stake and unstake.
  | "TX_STAKE_TOO_LOW"
  | "TX_UNKNOWN_VALIDATOR"
  | "TX_VALIDATOR_NOT_ACTIVE"
  | "TX_VALIDATOR_EXITED"
  | "TX_NOT_VALIDATOR_OWNER"
  | "TX_BAD_EVIDENCE";

/** A transaction rejected by the stateless checks or by the state transition. */
export class TxError extends ChainlabError {
  declare readonly code: TxErrorCode;
  constructor(code: TxErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Codes of BlockError: a block that fails structural or state checks (engine checks use ConsensusError). */
export type BlockErrorCode =
  | "BLOCK_MALFORMED"
  | "BLOCK_BAD_HEIGHT"
  | "BLOCK_BAD_TX_ROOT"
  | "BLOCK_ORPHAN_POOL_FULL"
  | "BLOCK_BAD_STATE_ROOT"
  | "BLOCK_BAD_TX"
  | "BLOCK_DUPLICATE_TX"
  | "BLOCK_TOO_LARGE"
  | "BLOCK_UNKNOWN_PARENT"
  | "BLOCK_INVALID_ANCESTOR"
  | "BLOCK_KNOWN_INVALID";

/** A block that is structurally wrong or whose transactions or state root do not check out. */
export class BlockError extends ChainlabError {
  declare readonly code: BlockErrorCode;
  constructor(code: BlockErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }

  /** A full orphan pool is our limit, not the sender's fault. */
  override get senderAtFault(): boolean {
    return this.code !== "BLOCK_ORPHAN_POOL_FULL";
  }
}

/** Codes of GenesisError: a genesis file that cannot define a chain. */
export type GenesisErrorCode = "GENESIS_INVALID" | "GENESIS_MISMATCH";

/** A genesis file that is malformed, or does not match the chain in a data dir. */
export class GenesisError extends ChainlabError {
  declare readonly code: GenesisErrorCode;
  constructor(code: GenesisErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Turns anything thrown into a one-line message with its code, for logs and the CLI. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof ChainlabError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: "INTERNAL", message: err.message };
  return { code: "INTERNAL", message: String(err) };
}
