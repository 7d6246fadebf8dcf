/** Small helpers shared inside chain/. */
import { type Header, headerHash } from "../core/block.ts";
import { type Hash, toHex } from "../core/hash.ts";

export type { Hash };
export { toHex };

/** Hex of a header's hash, the key of the in-memory block tree. */
export function headerHashHex(h: Header): string {
  return toHex(headerHash(h));
}
