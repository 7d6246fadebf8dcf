import { describe, expect, it } from "vitest";
import { BlockTree } from "../../../src/chain/block-tree.ts";
import type { BlockMeta } from "../../../src/consensus/engine.ts";
import type { Header } from "../../../src/core/block.ts";
import { sha256, toHex, utf8 } from "../../../src/core/hash.ts";

/** A meta named `name` at `height` on `parent`. */
function meta(name: string, parent: BlockMeta | undefined): BlockMeta {
  const height = parent ? parent.header.height + 1 : 0;
  const header: Header = {
    version: 1,
    height,
    parentHash: parent ? parent.hash : new Uint8Array(32),
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    beneficiary: new Uint8Array(20),
    timestamp: height,
    engine: new Uint8Array(0),
  };
  return { hash: sha256(utf8(name)), header, engineMeta: new Uint8Array(0) };
}

/**
 *   g - a1 - a2 - a3        (canonical, head a3)
 *        \
 *         b2 - b3 - b4      (side)
 *               \
 *                c4         (side)
 */
function sampleTree() {
  const g = meta("g", undefined);
  const a1 = meta("a1", g);
  const a2 = meta("a2", a1);
  const a3 = meta("a3", a2);
  const b2 = meta("b2", a1);
  const b3 = meta("b3", b2);
  const b4 = meta("b4", b3);
  const c4 = meta("c4", b3);
  const tree = new BlockTree(g);
  for (const m of [a1, a2, a3]) tree.add(m);
  for (const m of [b2, b3, b4, c4]) tree.add(m);
  tree.setHead(a3, 1, [a1, a2, a3]);
  return { tree, g, a1, a2, a3, b2, b3, b4, c4 };
}

const names = (ms: BlockMeta[], all: Record<string, BlockMeta>): string[] =>
  ms.map((m) => Object.entries(all).find(([, v]) => toHex(v.hash) === toHex(m.hash))?.[0] ?? "?");

describe("BlockTree", () => {
  it("finds the fork point of two branches", () => {
    const t = sampleTree();
    expect(toHex(t.tree.forkPoint(t.a3, t.c4).hash)).toBe(toHex(t.a1.hash));
  });

  it("finds a block as the fork point of itself and a descendant", () => {
    const t = sampleTree();
    expect(toHex(t.tree.forkPoint(t.b4, t.b2).hash)).toBe(toHex(t.b2.hash));
  });

  it("lists a branch oldest first, excluding the ancestor", () => {
    const t = sampleTree();
    const { tree, ...all } = t;
    expect(names(tree.branch(t.a1, t.b4), all)).toEqual(["b2", "b3", "b4"]);
  });

  it("finds the ancestor of a side block at a height", () => {
    const t = sampleTree();
    expect(toHex(t.tree.ancestorAt(t.c4, 2)!.hash)).toBe(toHex(t.b2.hash));
  });

  it("finds the ancestor of a side block below the fork through the canonical index", () => {
    const t = sampleTree();
    expect(toHex(t.tree.ancestorAt(t.c4, 0)!.hash)).toBe(toHex(t.g.hash));
  });

  it("has no ancestor above a block's own height", () => {
    const t = sampleTree();
    expect(t.tree.ancestorAt(t.a2, 3)).toBeUndefined();
  });

  it("tells canonical blocks from side blocks", () => {
    const t = sampleTree();
    expect([t.tree.isCanonical(t.a2.hash), t.tree.isCanonical(t.b2.hash)]).toEqual([true, false]);
  });

  it("lists a block and all its descendants", () => {
    const t = sampleTree();
    const { tree, ...all } = t;
    expect(names(tree.descendants(t.b2.hash), all).sort()).toEqual(["b2", "b3", "b4", "c4"]);
  });

  it("lists the tips", () => {
    const t = sampleTree();
    const { tree, ...all } = t;
    expect(names(tree.tips(), all).sort()).toEqual(["a3", "b4", "c4"]);
  });

  it("removes pruned blocks and their parent links", () => {
    const t = sampleTree();
    const { tree, ...all } = t;
    tree.remove([t.b2, t.b3, t.b4, t.c4]);
    expect([tree.size, names(tree.childrenOf(t.a1.hash), all)]).toEqual([4, ["a2"]]);
  });

  it("rewrites the canonical index above the fork point on a head switch", () => {
    const t = sampleTree();
    t.tree.setHead(t.c4, 2, [t.b2, t.b3, t.c4]);
    const { tree, ...all } = t;
    const canonical = [0, 1, 2, 3, 4].map((h) => tree.getCanonical(h)!);
    expect(names(canonical, all)).toEqual(["g", "a1", "b2", "b3", "c4"]);
  });

  it("drops canonical heights above a shorter new head", () => {
    const t = sampleTree();
    const d2 = meta("d2", t.a1);
    t.tree.add(d2);
    t.tree.setHead(d2, 2, [d2]);
    expect(t.tree.getCanonical(3)).toBeUndefined();
  });

  it("ignores a block added twice", () => {
    const t = sampleTree();
    const before = t.tree.size;
    t.tree.add(t.b2);
    expect([t.tree.size, t.tree.childrenOf(t.a1.hash).length]).toEqual([before, 2]);
  });
});
