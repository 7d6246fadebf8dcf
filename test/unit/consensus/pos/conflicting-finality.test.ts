/**
 * Regression (issue 15, bug 0): after a partition heals, a block of the other side carries a later
 * finalized checkpoint than this node's head chain, which had not finalized its own branch yet.
 * The chain asks the fork choice for its finalized checkpoint to judge the reorg and to prune;
 * the engine's fork choice must not report the other branch's checkpoint before the head has
 * moved there, or the chain keeps the head ("reorg past finality") and prunes the head's own
 * ancestors, and the duty computation (rootAtSlot) finds no ancestor. The steps below are the
 * chain's own (src/chain/chain.ts setHeadFromForkChoice and pruneIfFinalized) over a real BlockTree.
 */
import { describe, expect, it } from "vitest";
import { BlockTree } from "../../../../src/chain/block-tree.ts";
import type { BlockMeta, ForkChoice } from "../../../../src/consensus/engine.ts";
import type { PosEngine } from "../../../../src/consensus/pos/engine.ts";
import { encodePosMeta, type MetaCheckpoint, rootAtSlot } from "../../../../src/consensus/pos/meta.ts";
import { posGenesisParams } from "../../../../src/consensus/pos/params.ts";
import { createEngine } from "../../../../src/consensus/registry.ts";
import { HEADER_VERSION, type Header } from "../../../../src/core/block.ts";
import { bytesEqual, sha256, toHex, utf8 } from "../../../../src/core/hash.ts";
import { actor } from "../../../helpers/fixtures.ts";

const ZERO = new Uint8Array(32);
const SPE = 4;

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

const cpOf = (m: BlockMeta, epoch: number): MetaCheckpoint => ({
  epoch,
  root: m.hash,
  height: m.header.height,
});

/** The chain's head update: refuse a reorg below finality, else move; then prune below finality. */
function updateHead(tree: BlockTree, fc: ForkChoice): "kept" | "moved" {
  const target = fc.getHead();
  const previous = tree.head();
  let outcome: "kept" | "moved" = "kept";
  if (!bytesEqual(target.hash, previous.hash)) {
    const fin = fc.finalized();
    const fork = tree.forkPoint(previous, target);
    if (!(fork.header.height < fin.height && previous.header.height >= fin.height)) {
      tree.setHead(target, fork.header.height + 1, tree.branch(fork, target));
      outcome = "moved";
    }
  }
  const fin = fc.finalized();
  const keep = new Set(tree.descendants(fin.hash).map((m) => toHex(m.hash)));
  for (let cur = tree.getMeta(fin.hash); cur !== undefined; cur = tree.getMeta(cur.header.parentHash)) {
    keep.add(toHex(cur.hash));
    if (cur.header.height === 0) break;
  }
  const dead = tree.all().filter((m) => !keep.has(toHex(m.hash)));
  tree.remove(dead);
  fc.prune(fin, dead);
  return outcome;
}

describe("PoS: a later finalized checkpoint on another branch", () => {
  it("the head moves to it before anything is pruned; duties keep resolving", () => {
    const vals = [actor("cf-0"), actor("cf-1")];
    const engine = createEngine({
      chainId: 5,
      timestamp: 0,
      minFee: 1n,
      consensus: {
        type: "pos",
        params: posGenesisParams({
          slotMs: 1000,
          slotsPerEpoch: SPE,
          validators: vals.map((v) => ({
            publicKey: v.publicKey,
            stake: 32n * 10n ** 8n,
            withdrawal: v.addressBytes,
          })),
        }),
      },
      alloc: {},
    }) as PosEngine;
    const g: BlockMeta = {
      hash: sha256(utf8("g")),
      header: header(0, ZERO, 0),
      engineMeta: encodePosMeta({
        slot: 0,
        justified: { epoch: 0, root: ZERO, height: 0 },
        finalized: { epoch: 0, root: ZERO, height: 0 },
      }),
    };
    const tree = new BlockTree(g);
    const genesisCp = cpOf(g, 0);
    const metas = new Map<string, BlockMeta>([["g", g]]);
    const add = (name: string, parent: string, slot: number, finalized = genesisCp): BlockMeta => {
      const p = metas.get(parent)!;
      const m: BlockMeta = {
        hash: sha256(utf8(name)),
        header: header(p.header.height + 1, p.hash, slot),
        engineMeta: encodePosMeta({ slot, justified: finalized, finalized }),
      };
      metas.set(name, m);
      tree.add(m);
      return m;
    };
    // The common chain, then this node's side: a long branch that finalized nothing new.
    add("c1", "g", 1);
    add("c2", "c1", 2);
    for (let s = 3; s <= 12; s++) add(`a${s}`, s === 3 ? "c2" : `a${s - 1}`, s);
    const fc = engine.createForkChoice(tree, {
      head: g,
      blocks: tree.all().filter((m) => m.header.height > 0),
    });
    expect(updateHead(tree, fc)).toBe("moved");
    expect(toHex(tree.head().hash)).toBe(toHex(metas.get("a12")!.hash));

    // The other side's blocks arrive: a shorter branch whose last block finalized its b4 at epoch 1.
    for (let s = 4; s <= 7; s++) add(`b${s}`, s === 4 ? "c2" : `b${s - 1}`, s);
    const b8 = add("b8", "b7", 8, cpOf(metas.get("b4")!, 1));
    for (const n of ["b4", "b5", "b6", "b7", "b8"]) fc.onBlock(metas.get(n)!);
    // Before the head moves the chain sees the head chain's finalized checkpoint, and the engine reports the conflict.
    expect(fc.finalized().epoch).toBe(0);
    expect(engine.finalityConflict?.store.epoch).toBe(1);

    // The chain reorgs to the branch that finalized (this node never finalized its own) and prunes its old branch.
    expect(updateHead(tree, fc)).toBe("moved");
    expect(toHex(tree.head().hash)).toBe(toHex(b8.hash));
    expect(fc.finalized().epoch).toBe(1);
    expect(tree.getMeta(metas.get("a12")!.hash)).toBeUndefined();
    expect(engine.finalityConflict).toBeUndefined();
    // The duty computation walks the head's ancestry down to genesis.
    for (let slot = 0; slot <= 8; slot++) expect(() => rootAtSlot(tree, tree.head(), slot)).not.toThrow();
  });
});
