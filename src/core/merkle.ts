/**
 * Merkle root over transactions, RFC 6962 style: leaves are SHA-256(0x00 || bytes), inner nodes
 * SHA-256(0x01 || left || right), and an odd node is promoted rather than duplicated, so no two
 * different lists share a root (unlike Bitcoin's CVE-2012-2459 duplication).
 */
import { type Hash, sha256 } from "./hash.ts";

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
export const EMPTY_ROOT: Hash = sha256();

/** The Merkle root of already-encoded items. */
export function merkleRoot(items: readonly Uint8Array[]): Hash {
  if (items.length === 0) return EMPTY_ROOT;
  let level: Hash[] = items.map((b) => sha256(LEAF, b));
  while (level.length > 1) {
    const next: Hash[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      next.push(right === undefined ? left : sha256(NODE, left, right));
    }
    level = next;
  }
  return level[0]!;
}
