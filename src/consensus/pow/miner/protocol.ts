/**
 * What the pool and its workers share: the layout of the control array (a SharedArrayBuffer of
 * Int32) and the messages. The job generation in CTL_GEN is the preemption signal: a worker
 * checks it between chunks and drops its job as soon as it changes.
 */

/** Index of the current job generation; bumped (and notified) on a new job, abort or stop. */
export const CTL_GEN = 0;

/** Index of worker i's hash counter (u32, wrapping; the pool reads deltas). */
export const ctlCounter = (i: number): number => 1 + i;

/** Int32 length of the control array for `threads` workers. */
export const ctlLength = (threads: number): number => 1 + threads;

const U64 = (1n << 64n) - 1n;

/** The k-th extraNonce of worker `index` of `threads`: base + index + k * threads (mod 2^64). */
export function workerExtraNonce(base: bigint, index: number, threads: number, k: bigint): bigint {
  return (base + BigInt(index) + k * BigInt(threads)) & U64;
}

/** The worker's startup data. */
export interface WorkerInit {
  ctl: SharedArrayBuffer;
  index: number;
  threads: number;
  /** force the scalar kernel when false */
  simd: boolean | undefined;
  /** nonces searched per extraNonce (2^32 except in tests) */
  nonceSpan: number;
}

/** A job for one generation: the header (nonce ignored), the target, and this worker's rate cap. */
export interface JobMessage {
  type: "job";
  gen: number;
  header: Uint8Array;
  target: bigint;
  /** hashes/s for this worker; 0 = unlimited */
  rate: number;
}

/** Messages from a worker. */
export type WorkerMessage =
  | { type: "ready"; simd: boolean }
  | { type: "found"; gen: number; extraNonce: bigint; nonce: number };
