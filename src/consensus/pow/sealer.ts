/** The interface between the PoW producer and whatever searches nonces (in-thread or workers). */

/** Finds a nonce (and extra-nonce) that puts SHA-256(header) at or below the target. */
export interface Sealer {
  /** Resolves with the sealed header bytes, or null when aborted. */
  seal(header: Uint8Array, target: bigint, signal: AbortSignal): Promise<Uint8Array | null>;
  /** Hashes per second over the recent past. */
  hashrate(): number;
  /** Hashes computed since the sealer was created (experiments read it through consensus_status). */
  hashes?(): number;
  close(): Promise<void>;
}
