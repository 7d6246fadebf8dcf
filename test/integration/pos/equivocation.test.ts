/**
 * A validator running with `unsafe_equivocate` (protection off) double-proposes and double-votes;
 * the other nodes build the evidence, gossip it, and the next proposers include it: the validator
 * is slashed within two epochs on every node, consensus_status lists it with its evidence, its
 * votes stop counting in the fork choice, and the remaining 3/4 of the stake keeps finalizing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { findValidator, indexOfPublicKey } from "../../../src/consensus/pos/validators.ts";
import { toHex } from "../../../src/core/hash.ts";
import { waitFor } from "../p2p/harness.ts";
import { PosHarness, type PosPeer, posGenesis, ring, validatorActors, waitForFinalized } from "./harness.ts";

const SLOT_MS = 400;
const SPE = 4;

function slashedAt(p: PosPeer, index: number): boolean {
  const state = p.engine.headState();
  return state !== undefined && findValidator(state, index)?.slashed === true;
}

describe("PoS slashing of an equivocating validator", { timeout: 90_000 }, () => {
  let h: PosHarness;
  afterEach(async () => h.close());

  it("slashes a validator with unsafe_equivocate within two epochs and reports it", async () => {
    h = new PosHarness();
    const vals = validatorActors(4, "equivocation");
    const g = posGenesis(vals, { slotMs: SLOT_MS, slotsPerEpoch: SPE, startInMs: 1500 });
    const peers: PosPeer[] = [];
    for (let i = 0; i < 4; i++)
      peers.push(await h.start(`e${i}`, g, [vals[i]!], { unsafeEquivocate: i === 3 }));
    await ring(peers);
    const index = indexOfPublicKey(peers[3]!.engine.headState()!, vals[3]!.publicKey)!;
    const honest = peers.slice(0, 3);
    await waitFor(
      `validator ${index} slashed on every honest node`,
      () => honest.every((p) => slashedAt(p, index)),
      (wake) => honest.map((p) => p.node.chain.onHeadChange(wake)),
      60_000,
    );
    // Its first duty is in epoch 0: slashed by a block of epoch 2 at the latest.
    const slot = honest[0]!.engine.fields(honest[0]!.node.chain.head().header).slot;
    expect(Math.floor(slot / SPE)).toBeLessThanOrEqual(2);
    for (const p of honest) {
      const status = p.node.engine.status(p.node.chain.view, p.node.chain.forkChoice) as {
        slashed: { index: number; publicKey: string; evidence: { kind: string }[] }[];
      };
      const entry = status.slashed.find((s) => s.index === index);
      expect(entry?.publicKey).toBe(toHex(vals[3]!.publicKey));
    }
    // Some honest node holds the evidence that slashed it, and drops its votes from the fork choice.
    const held = honest
      .flatMap((p) => p.engine.messages.evidence.seen())
      .filter((e) => e.validatorIndex === index);
    expect(held.length).toBeGreaterThan(0);
    // consensus_status names the two conflicting messages by their hashes: two different ids.
    for (const e of held) expect(new Set(e.messages).size).toBe(2);
    // Three of four validators (3/4 of the stake) keep finalizing.
    const fin = honest[0]!.node.chain.finalized().epoch ?? 0;
    await waitForFinalized(honest, fin + 1, 40_000);
  });
});
