/**
 * A bounded pool of blocks whose parent is unknown. When the parent arrives, its waiting children
 * are released for import. Only blocks whose header passed the engine's intrinsic checks (seal)
 * and whose body matches the header get here, so a mutated copy never takes an honest block's
 * place. The pool is bounded in bytes and count, in total and per sending peer; a peer over its
 * share evicts its own oldest orphans, and the oldest entries overall go first.
 */
import type { Block } from "../core/block.ts";
import { type Hash, headerHashHex, toHex } from "./util.ts";

/** Limits of the orphan pool. */
export interface OrphanLimits {
  maxCount: number;
  maxBytes: number;
  /** Per sending peer. */
  maxBytesPerPeer: number;
  /** Per sending peer. */
  maxCountPerPeer: number;
}

/** Defaults: 512 orphans and 64 MiB in all, 128 orphans and 16 MiB per peer. */
export const DEFAULT_ORPHAN_LIMITS: OrphanLimits = {
  maxCount: 512,
  maxBytes: 64 << 20,
  maxBytesPerPeer: 16 << 20,
  maxCountPerPeer: 128,
};

interface Entry {
  block: Block;
  bytes: number;
  peer: string;
}

/** Orphan blocks keyed by hash and by missing parent. */
export class OrphanPool {
  private readonly limits: OrphanLimits;
  private readonly byHash = new Map<string, Entry>();
  private readonly byParent = new Map<string, Set<string>>();
  private readonly bytesByPeer = new Map<string, number>();
  private readonly countByPeer = new Map<string, number>();
  private totalBytes = 0;

  constructor(limits: Partial<OrphanLimits> = {}) {
    this.limits = { ...DEFAULT_ORPHAN_LIMITS, ...limits };
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Bytes of the pooled blocks' encodings. */
  get bytes(): number {
    return this.totalBytes;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  /** Pools `block` (of `bytes` encoded bytes) from `peer`; false when it cannot fit at all. */
  add(block: Block, bytes: number, peer = "local", hashHex: string = headerHashHex(block.header)): boolean {
    if (this.byHash.has(hashHex)) return true;
    if (bytes > this.limits.maxBytesPerPeer || bytes > this.limits.maxBytes) return false;
    while (
      (this.bytesByPeer.get(peer) ?? 0) + bytes > this.limits.maxBytesPerPeer ||
      (this.countByPeer.get(peer) ?? 0) >= this.limits.maxCountPerPeer
    ) {
      this.remove(this.oldestOf(peer)!);
    }
    while (this.byHash.size >= this.limits.maxCount || this.totalBytes + bytes > this.limits.maxBytes) {
      this.remove(this.byHash.keys().next().value as string);
    }
    const parent = toHex(block.header.parentHash);
    this.byHash.set(hashHex, { block, bytes, peer });
    this.totalBytes += bytes;
    this.bytesByPeer.set(peer, (this.bytesByPeer.get(peer) ?? 0) + bytes);
    this.countByPeer.set(peer, (this.countByPeer.get(peer) ?? 0) + 1);
    let set = this.byParent.get(parent);
    if (set === undefined) {
      set = new Set();
      this.byParent.set(parent, set);
    }
    set.add(hashHex);
    return true;
  }

  private oldestOf(peer: string): string | undefined {
    for (const [id, e] of this.byHash) if (e.peer === peer) return id;
    return undefined;
  }

  private remove(hashHex: string): void {
    const entry = this.byHash.get(hashHex);
    if (entry === undefined) return;
    this.byHash.delete(hashHex);
    this.totalBytes -= entry.bytes;
    const left = (this.bytesByPeer.get(entry.peer) ?? 0) - entry.bytes;
    if (left > 0) this.bytesByPeer.set(entry.peer, left);
    else this.bytesByPeer.delete(entry.peer);
    const count = (this.countByPeer.get(entry.peer) ?? 0) - 1;
    if (count > 0) this.countByPeer.set(entry.peer, count);
    else this.countByPeer.delete(entry.peer);
    const parent = toHex(entry.block.header.parentHash);
    const set = this.byParent.get(parent);
    set?.delete(hashHex);
    if (set?.size === 0) this.byParent.delete(parent);
  }

  /** Removes and returns the orphans waiting for `parent`, with the peers that sent them. */
  takeChildren(parent: Hash): { block: Block; peer: string }[] {
    const set = this.byParent.get(toHex(parent));
    if (set === undefined) return [];
    const out: { block: Block; peer: string }[] = [];
    for (const h of [...set]) {
      const e = this.byHash.get(h);
      this.remove(h);
      if (e) out.push({ block: e.block, peer: e.peer });
    }
    return out;
  }

  /** The earliest missing ancestor of an orphan chain (walks orphan parents). */
  rootParent(block: Block): Hash {
    let cur = block;
    for (;;) {
      const parent = this.byHash.get(toHex(cur.header.parentHash));
      if (parent === undefined) return cur.header.parentHash;
      cur = parent.block;
    }
  }
}
