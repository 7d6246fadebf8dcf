/**
 * The in-memory block tree: every fully executed block with its engine metadata, the children of
 * each block, and the canonical chain up to the head. Only executed blocks are in it, so the fork
 * choice never sees a block whose state was not checked. It is the ChainView engines read.
 */
import type { BlockMeta, ChainView } from "../consensus/engine.ts";
import type { Hash } from "../core/hash.ts";
import { toHex } from "./util.ts";

/** Executed blocks by hash, children by parent, and the canonical index. */
export class BlockTree implements ChainView {
  private readonly nodes = new Map<string, BlockMeta>();
  private readonly children = new Map<string, string[]>();
  private canonicalHashes: Hash[] = [];
  private headMeta: BlockMeta;
  private readonly genesisMeta: BlockMeta;

  constructor(genesis: BlockMeta) {
    this.genesisMeta = genesis;
    this.headMeta = genesis;
    this.add(genesis);
    this.canonicalHashes = [genesis.hash];
  }

  genesis(): BlockMeta {
    return this.genesisMeta;
  }

  head(): BlockMeta {
    return this.headMeta;
  }

  get size(): number {
    return this.nodes.size;
  }

  has(hash: Hash | string): boolean {
    return this.nodes.has(typeof hash === "string" ? hash : toHex(hash));
  }

  getMeta(hash: Hash): BlockMeta | undefined {
    return this.nodes.get(toHex(hash));
  }

  getCanonical(height: number): BlockMeta | undefined {
    const h = this.canonicalHashes[height];
    return h === undefined ? undefined : this.getMeta(h);
  }

  isCanonical(hash: Hash): boolean {
    const meta = this.getMeta(hash);
    if (meta === undefined) return false;
    const c = this.canonicalHashes[meta.header.height];
    return c !== undefined && toHex(c) === toHex(hash);
  }

  ancestorAt(meta: BlockMeta, height: number): BlockMeta | undefined {
    if (height > meta.header.height || height < 0) return undefined;
    let cur: BlockMeta | undefined = meta;
    while (cur !== undefined && cur.header.height > height) {
      if (this.isCanonical(cur.hash)) return this.getCanonical(height);
      cur = this.getMeta(cur.header.parentHash);
    }
    return cur;
  }

  childrenOf(hash: Hash): BlockMeta[] {
    return (this.children.get(toHex(hash)) ?? []).map((id) => this.nodes.get(id)!);
  }

  add(meta: BlockMeta): void {
    const id = toHex(meta.hash);
    if (this.nodes.has(id)) return;
    this.nodes.set(id, meta);
    if (meta.header.height > 0) {
      const p = toHex(meta.header.parentHash);
      const list = this.children.get(p);
      if (list) list.push(id);
      else this.children.set(p, [id]);
    }
  }

  /** Removes blocks (never canonical ones) from the tree. */
  remove(metas: readonly BlockMeta[]): void {
    for (const meta of metas) {
      const id = toHex(meta.hash);
      if (!this.nodes.delete(id)) continue;
      this.children.delete(id);
      const p = toHex(meta.header.parentHash);
      const list = this.children.get(p);
      if (list === undefined) continue;
      const rest = list.filter((c) => c !== id);
      if (rest.length > 0) this.children.set(p, rest);
      else this.children.delete(p);
    }
  }

  /** `hash` and all its known descendants. */
  descendants(hash: Hash): BlockMeta[] {
    const out: BlockMeta[] = [];
    const stack = [toHex(hash)];
    while (stack.length > 0) {
      const id = stack.pop()!;
      const n = this.nodes.get(id);
      if (n) out.push(n);
      for (const c of this.children.get(id) ?? []) stack.push(c);
    }
    return out;
  }

  /** Blocks without children. */
  tips(): BlockMeta[] {
    const out: BlockMeta[] = [];
    for (const [id, n] of this.nodes) if ((this.children.get(id)?.length ?? 0) === 0) out.push(n);
    return out;
  }

  /** Every block, parents before children (by height). */
  all(): BlockMeta[] {
    return [...this.nodes.values()].sort((a, b) => a.header.height - b.header.height);
  }

  /** The last common ancestor of two blocks. */
  forkPoint(a: BlockMeta, b: BlockMeta): BlockMeta {
    let x = a;
    let y = b;
    while (x.header.height > y.header.height) x = this.getMeta(x.header.parentHash)!;
    while (y.header.height > x.header.height) y = this.getMeta(y.header.parentHash)!;
    while (toHex(x.hash) !== toHex(y.hash)) {
      x = this.getMeta(x.header.parentHash)!;
      y = this.getMeta(y.header.parentHash)!;
    }
    return x;
  }

  /** The blocks after `ancestor` up to and including `tip`, oldest first. */
  branch(ancestor: BlockMeta, tip: BlockMeta): BlockMeta[] {
    const out: BlockMeta[] = [];
    let cur = tip;
    while (cur.header.height > ancestor.header.height) {
      out.push(cur);
      cur = this.getMeta(cur.header.parentHash)!;
    }
    return out.reverse();
  }

  /** Moves the head, rewriting the canonical index above the fork point. */
  setHead(meta: BlockMeta, canonicalFrom: number, branch: readonly BlockMeta[]): void {
    this.canonicalHashes.length = canonicalFrom;
    for (const m of branch) this.canonicalHashes[m.header.height] = m.hash;
    this.headMeta = meta;
  }

  /** Replaces the canonical index wholesale (used when loading from disk). */
  loadCanonical(hashes: Hash[], head: BlockMeta): void {
    this.canonicalHashes = hashes;
    this.headMeta = head;
  }
}
