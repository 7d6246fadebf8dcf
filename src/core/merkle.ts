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

/** The leaf hash of one encoded item: SHA-256(0x00 || bytes). */
export function merkleLeaf(item: Uint8Array): Hash {
  return sha256(LEAF, item);
}

/**
 * The same root as `merkleRoot`, for a list that only grows (a block template): each pair of
 * nodes is hashed once, when it completes, so `root()` after appending k items costs k leaf
 * hashes plus O(log n) for the right edge instead of 2n hashes.
 */
export class MerkleAccumulator {
  /** levels[0] holds the leaves; levels[k + 1][i] = H(levels[k][2i], levels[k][2i + 1]). */
  private readonly levels: Hash[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends one already-encoded item. */
  push(item: Uint8Array): void {
    let node = merkleLeaf(item);
    for (let k = 0; ; k++) {
      if (this.levels.length === k) this.levels.push([]);
      const level = this.levels[k]!;
      level.push(node);
      if (level.length % 2 === 1) return;
      node = sha256(NODE, level[level.length - 2]!, node);
    }
  }

  /** The root of every item appended so far (EMPTY_ROOT for none). */
  root(): Hash {
    if (this.size === 0) return EMPTY_ROOT;
    // carry: the level's node past its completed pairs (a promoted odd node, or a partial subtree).
    let carry: Hash | undefined;
    for (let k = 0; ; k++) {
      const level = this.levels[k] ?? [];
      if (level.length + (carry === undefined ? 0 : 1) === 1) return carry ?? level[0]!;
      if (level.length % 2 === 1) {
        const last = level[level.length - 1]!;
        carry = carry === undefined ? last : sha256(NODE, last, carry);
      }
    }
  }
}
