/** The checks both sealers (the worker pool and the inline sealer) make of their options and jobs. */
import { POW_HEADER_SIZE } from "../layout.ts";
import { MinerError } from "./errors.ts";

const MAX_TARGET = (1n << 256n) - 1n;

/** Refuses a nonce span that is not a multiple of 8 in [8, 2^32] (MINER_BAD_OPTIONS). */
export function checkNonceSpan(nonceSpan: number): void {
  if (!Number.isInteger(nonceSpan) || nonceSpan < 8 || nonceSpan > 2 ** 32 || nonceSpan % 8 !== 0) {
    throw new MinerError("MINER_BAD_OPTIONS", "nonceSpan must be a multiple of 8 in [8, 2^32]", {
      got: nonceSpan,
    });
  }
}

/** Refuses a header of the wrong size or a target outside [0, 2^256) (MINER_BAD_JOB). */
export function checkJob(header: Uint8Array, target: bigint): void {
  if (header.length !== POW_HEADER_SIZE) {
    throw new MinerError("MINER_BAD_JOB", "header has the wrong size", {
      got: header.length,
      expected: POW_HEADER_SIZE,
    });
  }
  if (target < 0n || target > MAX_TARGET) {
    throw new MinerError("MINER_BAD_JOB", "target out of range", { got: target.toString(16) });
  }
}

/** A big-endian 32-byte hash as a number, to compare with the target. */
export function hashToBigInt(hash: Uint8Array): bigint {
  let v = 0n;
  for (const b of hash) v = (v << 8n) | BigInt(b);
  return v;
}
