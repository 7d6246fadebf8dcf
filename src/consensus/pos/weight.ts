/**
 * The PoS weight a status message carries: finalized epoch, justified epoch, then height (24
 * bytes, u64 each, big-endian). Every node derives it from the block alone, so a sync peer's claim
 * can be checked against what it delivered; vote weights differ between nodes and stay out of it.
 */
import { Reader, Writer } from "../../core/encoding.ts";

/** A chain's standing for sync: a better finalized checkpoint beats a better justified one beats length. */
export interface StatusWeight {
  finalizedEpoch: number;
  justifiedEpoch: number;
  height: number;
}

export const STATUS_WEIGHT_SIZE = 24;

export function encodeStatusWeight(w: StatusWeight): Uint8Array {
  return new Writer(STATUS_WEIGHT_SIZE)
    .u64(BigInt(w.finalizedEpoch))
    .u64(BigInt(w.justifiedEpoch))
    .u64(BigInt(w.height))
    .finish();
}

/** Decodes a peer's weight; throws DecodeError on any other length. */
export function decodeStatusWeight(bytes: Uint8Array): {
  finalizedEpoch: bigint;
  justifiedEpoch: bigint;
  height: bigint;
} {
  const r = new Reader(bytes, "pos status weight");
  const w = {
    finalizedEpoch: r.u64("finalizedEpoch"),
    justifiedEpoch: r.u64("justifiedEpoch"),
    height: r.u64("height"),
  };
  r.end();
  return w;
}

/** True when weight `a` is strictly better than `b` (a malformed `a` never is). */
export function statusWeightAbove(a: Uint8Array, b: Uint8Array): boolean {
  let x: ReturnType<typeof decodeStatusWeight>;
  let y: ReturnType<typeof decodeStatusWeight>;
  try {
    x = decodeStatusWeight(a);
  } catch {
    return false;
  }
  try {
    y = decodeStatusWeight(b);
  } catch {
    return true;
  }
  if (x.finalizedEpoch !== y.finalizedEpoch) return x.finalizedEpoch > y.finalizedEpoch;
  if (x.justifiedEpoch !== y.justifiedEpoch) return x.justifiedEpoch > y.justifiedEpoch;
  return x.height > y.height;
}
