/**
 * A 2|2 partition of four equal validators: neither side holds 2/3 of the stake, so finality
 * stalls on both sides while each keeps producing blocks; after the heal the nodes agree on one
 * head (equal hashes) and finality resumes past where it stalled.
 */
import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../../src/core/hash.ts";
import { waitFor } from "../p2p/harness.ts";
import {
  PosHarness,
  type PosPeer,
  posGenesis,
  ring,
  split,
  validatorActors,
  waitForFinalized,
  waitForSlot,
} from "./harness.ts";

const SLOT_MS = 400;
const SPE = 4;

const finalizedEpoch = (p: PosPeer): number => p.node.chain.finalized().epoch ?? 0;
const headSlot = (p: PosPeer): number => p.engine.fields(p.node.chain.head().header).slot;

describe("PoS partition and heal", { timeout: 120_000 }, () => {
  let h: PosHarness;
  afterEach(async () => h.close());

  it("stalls finality on both sides of a 2|2 split while blocks continue; after the heal one chain finalizes again", async () => {
    h = new PosHarness();
    const vals = validatorActors(4, "partition");
    const g = posGenesis(vals, { slotMs: SLOT_MS, slotsPerEpoch: SPE, startInMs: 1500 });
    const peers: PosPeer[] = [];
    for (let i = 0; i < 4; i++) peers.push(await h.start(`p${i}`, g, [vals[i]!]));
    await ring(peers);
    await waitForFinalized(peers, 1, 40_000);

    const a = peers.slice(0, 2);
    const b = peers.slice(2);
    await split(a, b);
    const splitSlot = Math.max(...peers.map(headSlot));
    const splitEpoch = Math.floor(splitSlot / SPE);
    // Four epochs apart: votes of the epochs after the split reach only half of the stake.
    await waitForSlot(a, splitSlot + 4 * SPE, 40_000);
    await waitForSlot(b, splitSlot + 4 * SPE, 40_000);
    const stalled = peers.map(finalizedEpoch);
    for (const e of stalled) expect(e).toBeLessThanOrEqual(splitEpoch);
    expect(toHex(a[0]!.node.chain.head().hash)).not.toBe(toHex(b[0]!.node.chain.head().hash));
    // Blocks kept coming on both sides (each side proposes in its validators' slots).
    for (const p of peers) expect(headSlot(p)).toBeGreaterThanOrEqual(splitSlot + 4 * SPE);

    for (const p of peers) p.p2p.heal();
    await waitFor(
      "one head on all four nodes",
      () => new Set(peers.map((p) => toHex(p.node.chain.head().hash))).size === 1,
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      40_000,
    );
    await waitForFinalized(peers, Math.max(...stalled) + 1, 60_000);
    const fin = peers.map((p) => p.node.chain.finalized());
    // The finalized blocks lie on one chain: each node's is an ancestor of (or equal to) the highest.
    const top = peers[fin.reduce((best, c, i) => (c.height > fin[best]!.height ? i : best), 0)]!;
    const topHead = top.node.chain.head();
    for (const c of fin) {
      expect(toHex(top.node.chain.view.ancestorAt(topHead, c.height)!.hash)).toBe(toHex(c.hash));
    }
  });
});
