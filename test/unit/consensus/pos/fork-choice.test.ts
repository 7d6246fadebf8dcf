/**
 * The PoS fork choice over a real BlockTree: LMD-GHOST by latest-vote weight, equivocators
 * ignored, the justified-root filter, finality from block metadata, prune, and the status weight.
 */
import { describe, expect, it } from "vitest";
import { BlockTree } from "../../../../src/chain/block-tree.ts";
import type { BlockMeta } from "../../../../src/consensus/engine.ts";
import { PosForkChoice, type PosForkChoiceMessage } from "../../../../src/consensus/pos/fork-choice.ts";
import { encodePosMeta, type MetaCheckpoint } from "../../../../src/consensus/pos/meta.ts";
import { statusWeightAbove } from "../../../../src/consensus/pos/weight.ts";
import { HEADER_VERSION, type Header } from "../../../../src/core/block.ts";
import { sha256, toHex, utf8 } from "../../../../src/core/hash.ts";

const ZERO = new Uint8Array(32);

function header(height: number, parent: Uint8Array, slot: number): Header {
  return {
    version: HEADER_VERSION,
    height,
    parentHash: parent,
    txRoot: ZERO,
    stateRoot: ZERO,
    beneficiary: new Uint8Array(20),
    timestamp: slot * 1000,
    engine: Uint8Array.of(slot),
  };
}

interface Checkpoints {
  justified?: MetaCheckpoint;
  finalized?: MetaCheckpoint;
}

/** A tree of named blocks with their metadata. */
class Tree {
  readonly view: BlockTree;
  readonly byName = new Map<string, BlockMeta>();
  readonly genesisCp: MetaCheckpoint;

  constructor() {
    const g: BlockMeta = {
      hash: sha256(utf8("genesis")),
      header: header(0, ZERO, 0),
      engineMeta: encodePosMeta({ slot: 0, justified: cp(0, ZERO, 0), finalized: cp(0, ZERO, 0) }),
    };
    this.view = new BlockTree(g);
    this.byName.set("G", g);
    this.genesisCp = cp(0, g.hash, 0);
  }

  add(name: string, parentName: string, slot: number, c: Checkpoints = {}): BlockMeta {
    const parent = this.byName.get(parentName)!;
    const meta: BlockMeta = {
      hash: sha256(utf8(name)),
      header: header(parent.header.height + 1, parent.hash, slot),
      engineMeta: encodePosMeta({
        slot,
        justified: c.justified ?? this.genesisCp,
        finalized: c.finalized ?? this.genesisCp,
      }),
    };
    this.view.add(meta);
    this.byName.set(name, meta);
    return meta;
  }

  cpOf(name: string, epoch: number): MetaCheckpoint {
    const m = this.byName.get(name)!;
    return cp(epoch, m.hash, m.header.height);
  }

  name(meta: BlockMeta): string {
    for (const [n, m] of this.byName) if (toHex(m.hash) === toHex(meta.hash)) return n;
    return "?";
  }
}

function cp(epoch: number, root: Uint8Array, height: number): MetaCheckpoint {
  return { epoch, root, height };
}

function vote(
  t: Tree,
  validatorIndex: number,
  name: string,
  targetEpoch: number,
  weight = 10n,
): PosForkChoiceMessage {
  return { kind: "vote", validatorIndex, root: t.byName.get(name)!.hash, targetEpoch, weight };
}

function forkChoice(t: Tree): PosForkChoice {
  return new PosForkChoice(t.view, { head: t.view.genesis(), blocks: [] });
}

/** G - A1 - A2 and G - B1: two branches. */
function twoBranches(): { t: Tree; fc: PosForkChoice } {
  const t = new Tree();
  const fc = forkChoice(t);
  for (const [n, p, s] of [
    ["A1", "G", 1],
    ["A2", "A1", 2],
    ["B1", "G", 1],
  ] as const) {
    fc.onBlock(t.add(n, p, s));
  }
  return { t, fc };
}

describe("PoS fork choice (LMD-GHOST)", () => {
  it("picks the branch with more latest-vote weight, not the longer one", () => {
    const { t, fc } = twoBranches();
    fc.onMessage(vote(t, 0, "B1", 1));
    fc.onMessage(vote(t, 1, "B1", 1));
    fc.onMessage(vote(t, 2, "A2", 1));
    expect(t.name(fc.getHead())).toBe("B1");
    expect(fc.weightAt(t.byName.get("B1")!.hash)).toBe(20n);
    expect(fc.weightAt(t.byName.get("A1")!.hash)).toBe(10n);
    // Two validators move to A: a later target epoch replaces the latest vote.
    fc.onMessage(vote(t, 0, "A2", 2));
    fc.onMessage(vote(t, 1, "A1", 2));
    expect(t.name(fc.getHead())).toBe("A2");
  });

  it("keeps a validator's latest vote by target epoch (an older or equal target does not replace it)", () => {
    const { t, fc } = twoBranches();
    fc.onMessage(vote(t, 0, "A2", 3));
    fc.onMessage(vote(t, 0, "B1", 2));
    fc.onMessage(vote(t, 0, "B1", 3));
    expect(fc.latestVote(0)).toEqual({ root: toHex(t.byName.get("A2")!.hash), targetEpoch: 3 });
    expect(t.name(fc.getHead())).toBe("A2");
  });

  it("weighs votes by stake", () => {
    const { t, fc } = twoBranches();
    fc.onMessage(vote(t, 0, "A2", 1, 5n));
    fc.onMessage(vote(t, 1, "A2", 1, 5n));
    fc.onMessage(vote(t, 2, "B1", 1, 11n));
    expect(t.name(fc.getHead())).toBe("B1");
  });

  it("ignores equivocators' votes, now and later", () => {
    const { t, fc } = twoBranches();
    fc.onMessage(vote(t, 0, "B1", 1, 30n));
    fc.onMessage(vote(t, 1, "A2", 1));
    expect(t.name(fc.getHead())).toBe("B1");
    fc.onMessage({ kind: "equivocation", validatorIndices: [0] });
    expect(t.name(fc.getHead())).toBe("A2");
    fc.onMessage(vote(t, 0, "B1", 5, 30n));
    expect(t.name(fc.getHead())).toBe("A2");
    expect(fc.equivocating()).toEqual([0]);
  });

  it("counts a vote for a block it has not seen once the block arrives", () => {
    const t = new Tree();
    const fc = forkChoice(t);
    fc.onBlock(t.add("A1", "G", 1));
    const b1 = t.add("B1", "G", 1);
    fc.onMessage(vote(t, 0, "B1", 1));
    expect(t.name(fc.getHead())).toBe("A1");
    fc.onBlock(b1);
    expect(t.name(fc.getHead())).toBe("B1");
  });

  it("breaks a tie by the larger root and goes down to a leaf without votes", () => {
    const { t, fc } = twoBranches();
    const a1 = toHex(t.byName.get("A1")!.hash);
    const b1 = toHex(t.byName.get("B1")!.hash);
    const expected = a1 > b1 ? "A2" : "B1";
    expect(t.name(fc.getHead())).toBe(expected);
  });

  it("starts from the justified checkpoint and filters out branches that do not carry it", () => {
    const t = new Tree();
    const fc = forkChoice(t);
    fc.onBlock(t.add("A1", "G", 1));
    fc.onBlock(t.add("B1", "G", 1));
    // A2 justifies A1 at epoch 1; B's branch still carries the genesis checkpoint.
    fc.onBlock(t.add("A2", "A1", 9, { justified: t.cpOf("A1", 1) }));
    fc.onBlock(t.add("B2", "B1", 9));
    for (let i = 0; i < 5; i++) fc.onMessage(vote(t, i, "B2", 1));
    expect(fc.justified()).toMatchObject({ epoch: 1, height: 1 });
    expect(t.name(fc.getHead())).toBe("A2");
    // A child of A2 without votes is still followed.
    fc.onBlock(t.add("A3", "A2", 10, { justified: t.cpOf("A1", 1) }));
    expect(t.name(fc.getHead())).toBe("A3");
  });

  it("finalizes from block metadata, never goes back, and restores it from the stored blocks", () => {
    const t = new Tree();
    const fc = forkChoice(t);
    const blocks = [
      t.add("A1", "G", 8),
      t.add("A2", "A1", 16, { justified: t.cpOf("A1", 1) }),
      t.add("A3", "A2", 24, { justified: t.cpOf("A2", 2), finalized: t.cpOf("A1", 1) }),
    ];
    for (const b of blocks) fc.onBlock(b);
    expect(fc.finalized()).toMatchObject({ epoch: 1, height: 1, hash: t.byName.get("A1")!.hash });
    // A late block carrying an older finalized checkpoint does not move finality back.
    fc.onBlock(t.add("A2b", "A1", 17, { justified: t.cpOf("A1", 1) }));
    expect(fc.finalized().epoch).toBe(1);
    expect(fc.justified().epoch).toBe(2);
    const restored = new PosForkChoice(t.view, {
      head: blocks[2]!,
      blocks: t.view.all().filter((m) => m.header.height > 0),
    });
    expect(restored.finalized()).toEqual(fc.finalized());
    expect(restored.justified()).toEqual(fc.justified());
    expect(t.name(restored.getHead())).toBe("A3");
  });

  it("prunes removed blocks: their votes no longer count and the head stays on the finalized chain", () => {
    const t = new Tree();
    const fc = forkChoice(t);
    fc.onBlock(t.add("A1", "G", 8));
    fc.onBlock(t.add("B1", "G", 8));
    fc.onBlock(t.add("A2", "A1", 16, { justified: t.cpOf("A1", 1), finalized: t.cpOf("A1", 1) }));
    fc.onMessage(vote(t, 0, "B1", 1, 100n));
    const removed = [t.byName.get("B1")!];
    t.view.remove(removed);
    fc.prune(fc.finalized(), removed);
    expect(fc.size).toBe(3);
    expect(t.name(fc.getHead())).toBe("A2");
    expect(fc.weightAt(t.byName.get("A1")!.hash)).toBe(0n);
  });

  it("computes the head in O(blocks + votes): each visits every vote, block and walked edge once", () => {
    for (const n of [1000, 4000]) {
      const t = new Tree();
      const fc = forkChoice(t);
      let prev = "G";
      for (let i = 1; i <= n; i++) {
        fc.onBlock(t.add(`C${i}`, prev, i));
        if (i % 10 === 0) fc.onBlock(t.add(`S${i}`, prev, i));
        prev = `C${i}`;
      }
      for (let v = 0; v < n / 2; v++) fc.onMessage(vote(t, v, `C${n / 2 + v}`, 1));
      fc.onMessage(vote(t, n, `S${n}`, 1, 1n));
      const before = { ...fc.work };
      const head = fc.getHead();
      expect(head.hash).toEqual(t.byName.get(`S${n}`)!.hash);
      expect(fc.work.heads - before.heads).toBe(1);
      // Votes + blocks for the passes, plus at most one visit per child edge on the walk.
      expect(fc.work.steps - before.steps).toBeLessThanOrEqual(fc.size + (n / 2 + 1) + fc.size);
      // Cached until something changes.
      fc.getHead();
      expect(fc.work.heads - before.heads).toBe(1);
    }
  });

  it("status weight: finalized epoch beats justified epoch beats height; malformed is never above", () => {
    const t = new Tree();
    const fc = forkChoice(t);
    const low = fc.weightOf(t.add("A1", "G", 1));
    const tall = fc.weightOf(t.add("A2", "A1", 2));
    const justified = fc.weightOf(t.add("B1", "G", 1, { justified: t.cpOf("G", 0) }));
    const fin = fc.weightOf(t.add("C1", "G", 9, { justified: t.cpOf("G", 1), finalized: t.cpOf("G", 1) }));
    expect(statusWeightAbove(tall, low)).toBe(true);
    expect(statusWeightAbove(low, tall)).toBe(false);
    expect(statusWeightAbove(low, low)).toBe(false);
    expect(statusWeightAbove(fin, tall)).toBe(true);
    expect(statusWeightAbove(tall, justified)).toBe(true);
    expect(statusWeightAbove(Uint8Array.of(1, 2), low)).toBe(false);
    expect(statusWeightAbove(low, Uint8Array.of(1, 2))).toBe(true);
  });
});
