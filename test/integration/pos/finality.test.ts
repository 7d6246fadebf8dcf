/**
 * Four validators on four in-process nodes over real libp2p: blocks every slot, votes every
 * epoch, and finality that advances continuously and never reverts; every node agrees on every
 * finalized checkpoint, a late joiner syncs to it, and a restarted node reopens at it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Checkpoint } from "../../../src/consensus/engine.ts";
import { toHex } from "../../../src/core/hash.ts";
import { link } from "../p2p/harness.ts";
import { PosHarness, posGenesis, ring, validatorActors, waitForFinalized } from "./harness.ts";

describe("PoS finality on four nodes", { timeout: 90_000 }, () => {
  let h: PosHarness;
  afterEach(async () => h.close());

  it("finalizes continuously, never reverts, and every node agrees on every finalized checkpoint", async () => {
    h = new PosHarness();
    const vals = validatorActors(4);
    const g = posGenesis(vals, { slotMs: 400, slotsPerEpoch: 4, startInMs: 1500 });
    const peers = [];
    for (let i = 0; i < 4; i++) peers.push(await h.start(`n${i}`, g, [vals[i]!]));
    await ring(peers);
    const seen = new Map<string, Checkpoint[]>();
    for (const p of peers) {
      const list: Checkpoint[] = [];
      seen.set(p.name, list);
      // Every finalized checkpoint the node moves to (by epoch; consecutive epochs may share a root).
      p.node.chain.onHeadChange(() => {
        const c = p.node.chain.finalized();
        if (list.length === 0 || list.at(-1)!.epoch !== c.epoch) list.push(c);
      });
    }
    await waitForFinalized(peers, 3, 60_000);
    const headHeight = peers[0]!.node.chain.head().header.height;
    let proposed = 0;
    for (const p of peers) {
      const list = seen.get(p.name)!;
      expect(list.length).toBeGreaterThanOrEqual(3);
      // Real blocks, not only the genesis, got finalized.
      expect(list.at(-1)!.height).toBeGreaterThan(0);
      for (let i = 1; i < list.length; i++) {
        expect(list[i]!.epoch!).toBeGreaterThan(list[i - 1]!.epoch!);
        // Each finalized block descends from the previous one: finality never reverts.
        const later = p.node.chain.view.getMeta(list[i]!.hash)!;
        expect(toHex(p.node.chain.view.ancestorAt(later, list[i - 1]!.height)!.hash)).toBe(
          toHex(list[i - 1]!.hash),
        );
      }
      const status = p.node.engine.status(p.node.chain.view, p.node.chain.forkChoice) as Record<
        string,
        unknown
      >;
      expect(status.activeValidators).toBe(4);
      expect((status.finalized as { epoch: number }).epoch).toBeGreaterThanOrEqual(3);
      proposed += (status.validator as { proposed: number }).proposed;
    }
    // Every canonical block was proposed by one of the nodes' validators (which node proposes is
    // stake-weighted random: one node may have had no slot yet, so this is not checked per node).
    expect(proposed).toBeGreaterThanOrEqual(headHeight);
    // Every node finalized the same block at each epoch any two of them finalized.
    const byEpoch = new Map<number, string>();
    for (const list of seen.values()) {
      for (const c of list) {
        const prev = byEpoch.get(c.epoch!);
        if (prev !== undefined) expect(toHex(c.hash)).toBe(prev);
        byEpoch.set(c.epoch!, toHex(c.hash));
      }
    }
    const gauges = peers[0]!.engine.metrics();
    expect(gauges.find((m) => m.name === "chainlab_pos_finalized_epoch")!.value).toBeGreaterThanOrEqual(3);
    expect(gauges.find((m) => m.name === "chainlab_pos_participation")!.value).toBeGreaterThan(0.66);

    // A node joining late syncs to the same finalized chain.
    const target = peers[0]!.node.chain.finalized();
    const late = await h.start("late", g, []);
    await link(peers[0]!, late);
    await waitForFinalized([late], target.epoch!, 30_000);
    const lateHead = late.node.chain.head();
    expect(toHex(late.node.chain.view.ancestorAt(lateHead, target.height)!.hash)).toBe(toHex(target.hash));

    // A node restarted from its data dir reopens at (or past) its finalized checkpoint.
    const n3 = peers[3]!;
    const fin = n3.node.chain.finalized();
    await n3.stop();
    const again = await h.start("n3b", g, [vals[3]!], { dataDir: n3.dataDir });
    expect(again.node.chain.finalized().epoch!).toBeGreaterThanOrEqual(fin.epoch!);
    expect(toHex(again.node.chain.view.ancestorAt(again.node.chain.head(), fin.height)!.hash)).toBe(
      toHex(fin.hash),
    );
  });
});
