/**
 * Regression (bug 0 of issue 15): a long 4|4 partition with a fast inactivity leak lets both
 * sides finalize conflicting checkpoints (the leak's known limit, no slashable offence). The heal
 * comes as soon as one side has finalized: the other may have finalized too (its nodes then ban
 * the other side's and go on alone) or not yet (then it takes the finalized branch; before the
 * fix it kept its head, pruned the head's own ancestors and stopped proposing: "no ancestor at
 * slot N"). Either way every node keeps proposing on a chain through its finalized checkpoint.
 */
import { afterEach, describe, expect, it } from "vitest";
import { epochOf } from "../../../src/consensus/pos/params.ts";
import { isActive, readAllValidators, readPosState } from "../../../src/consensus/pos/validators.ts";
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
} from "./harness.ts";

const SLOT_MS = 300;
const SPE = 4;

const finalized = (p: PosPeer) => p.node.chain.finalized();
const headSlot = (p: PosPeer): number => p.engine.fields(p.node.chain.head().header).slot;
const status = (p: PosPeer) => p.engine.status(p.node.chain.view, p.node.chain.forkChoice);
const counts = (p: PosPeer) =>
  status(p).validator as { proposed: number; failed: number; lastFailure: unknown };
const proposed = (p: PosPeer): number => counts(p).proposed;
/** The share of the active effective stake that `indices` hold in `p`'s head state. */
function shareOf(p: PosPeer, indices: readonly number[]): number {
  const state = p.node.chain.state;
  const epoch = epochOf(readPosState(state).slot, p.engine.params);
  const all = readAllValidators(state, readPosState(state));
  const active = all.map((v, i) => ({ v, i })).filter(({ v }) => isActive(v, epoch));
  const total = active.reduce((s, { v }) => s + v.effective, 0n);
  const mine = active.filter(({ i }) => indices.includes(i)).reduce((s, { v }) => s + v.effective, 0n);
  return total === 0n ? 0 : Number((mine * 1000n) / total) / 1000;
}

describe("PoS conflicting finality after a leak", { timeout: 150_000 }, () => {
  let h: PosHarness;
  afterEach(async () => h.close());

  it("whichever side finalized first, after the heal every node goes on proposing through its finalized checkpoint", async () => {
    h = new PosHarness();
    const vals = validatorActors(8, "conflict");
    const g = posGenesis(vals, {
      slotMs: SLOT_MS,
      slotsPerEpoch: SPE,
      startInMs: 1500,
      params: { inactivityPenaltyQuotient: 16, minEpochsToInactivityPenalty: 1 },
    });
    const keys = [vals.slice(0, 2), vals.slice(2, 4), vals.slice(4, 6), vals.slice(6)];
    const peers: PosPeer[] = [];
    for (let i = 0; i < keys.length; i++) peers.push(await h.start(`c${i}`, g, keys[i]!));
    await ring(peers);
    await waitForFinalized(peers, 1, 40_000);
    const a = peers.slice(0, 2);
    const b = peers.slice(2);
    await split(a, b);
    const before = Math.max(...peers.map((p) => finalized(p).epoch ?? 0));
    // Each side leaks the other out and finalizes its own branch.
    const past = (side: PosPeer[]) => side.some((p) => (finalized(p).epoch ?? 0) >= before + 2);
    await waitFor(
      "one side finalized past the split",
      () => past(a) || past(b),
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      90_000,
    );
    const proposedBefore = peers.map(proposed);
    const failedBefore = peers.map((p) => counts(p).failed);
    for (const p of peers) p.p2p.heal();
    const finA = finalized(a[0]!);
    const finB = finalized(b[0]!);
    // Every node keeps extending a chain through its finalized checkpoint for three more epochs.
    const from = Math.max(...peers.map(headSlot));
    await waitFor(
      "every node's head three epochs past the heal",
      () => peers.every((p) => headSlot(p) >= from + 3 * SPE),
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      60_000,
      () =>
        `from slot ${from}: ${peers
          .map(
            (p, i) =>
              `node ${i} head slot ${headSlot(p)}, finalized ${finalized(p).epoch}, ${p.p2p.peerCount()} peers, last failure ${JSON.stringify(counts(p).lastFailure)}`,
          )
          .join("; ")}`,
    );
    for (const [side, fin, indices] of [
      [a, finA, [0, 1, 2, 3]],
      [b, finB, [4, 5, 6, 7]],
    ] as const) {
      for (const p of side) {
        const head = p.node.chain.head();
        const at = p.node.chain.view.ancestorAt(head, fin.height);
        expect(at && toHex(at.hash)).toBe(toHex(fin.hash));
        expect(p.engine.proposerAt(headSlot(p) + 1)).toBeTypeOf("number");
        // The finalized checkpoint the chain reports is on the head's chain.
        const f = p.node.chain.finalized();
        expect(toHex(p.node.chain.view.ancestorAt(head, f.height)!.hash)).toBe(toHex(f.hash));
        expect(status(p).finalityConflict).toBeNull();
      }
      // No validator duty failed after the heal (before the fix every duty hit "no ancestor at slot N").
      for (const p of side) {
        const c = counts(p);
        expect(c.failed, `last failed duty: ${JSON.stringify(c.lastFailure)}`).toBe(
          failedBefore[peers.indexOf(p)],
        );
      }
      // Where the side's validators still hold half the active stake on the chain its nodes follow,
      // they went on proposing (12 slots with none would be a 2^-12 chance). A side that took the
      // other's finalized branch may find its validators leaked out on it: then nothing is owed.
      const since = side.reduce((n, p) => n + proposed(p) - proposedBefore[peers.indexOf(p)]!, 0);
      if (shareOf(side[0]!, indices) >= 0.5) expect(since).toBeGreaterThan(0);
    }
  });
});
