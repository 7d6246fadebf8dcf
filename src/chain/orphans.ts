/**
 * A bounded pool of blocks whose parent is unknown. When the parent arrives, its waiting children
 * are released for import. The oldest entries are evicted first.
 */
import type { Block } from "../core/block.ts";
import { type Hash, headerHashHex, toHex } from "./util.ts";

/** Orphan blocks keyed by hash and by missing parent. */
export class OrphanPool {
  private readonly limit: number;
  private readonly byHash = new Map<string, Block>();
  private readonly byParent = new Map<string, Set<string>>();

  constructor(limit = 512) {
    this.limit = limit;
  }

  get size(): number {
    return this.byHash.size;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  add(block: Block, hashHex: string = headerHashHex(block.header)): void {
    if (this.byHash.has(hashHex)) return;
    while (this.byHash.size >= this.limit) {
      const oldest = this.byHash.keys().next().value as string;
      this.remove(oldest);
    }
    const parent = toHex(block.header.parentHash);
    this.byHash.set(hashHex, block);
    let set = this.byParent.get(parent);
    if (set === undefined) {
      set = new Set();
      this.byParent.set(parent, set);
    }
    set.add(hashHex);
  }

  private remove(hashHex: string): void {
    const block = this.byHash.get(hashHex);
    if (block === undefined) return;
    this.byHash.delete(hashHex);
    const parent = toHex(block.header.parentHash);
    const set = this.byParent.get(parent);
    set?.delete(hashHex);
    if (set?.size === 0) this.byParent.delete(parent);
  }

  /** Removes and returns the orphans waiting for `parent`. */
  takeChildren(parent: Hash): Block[] {
    const parentHex = toHex(parent);
    const set = this.byParent.get(parentHex);
    if (set === undefined) return [];
    const out: Block[] = [];
    for (const h of [...set]) {
      const b = this.byHash.get(h);
      this.remove(h);
      if (b) out.push(b);
    }
    return out;
  }

  /** The earliest missing ancestor of an orphan chain (walks orphan parents). */
  rootParent(block: Block): Hash {
    let cur = block;
    for (;;) {
      const parent = this.byHash.get(toHex(cur.header.parentHash));
      if (parent === undefined) return cur.header.parentHash;
      cur = parent;
    }
  }
}
