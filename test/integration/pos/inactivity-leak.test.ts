/**
 * The inactivity leak on real nodes: eight equal validators split 5|3. Five of eight is 62.5% of
 * the stake, below 2/3, so the majority side stops finalizing; once finality is
 * minEpochsToInactivityPenalty epochs behind, the absent three leak stake on the majority's chain
 * (a small inactivityPenaltyQuotient makes it fast) until the five hold 2/3 of the active stake
 * and finalize again, past the stall. After the heal every node follows one chain.
 */
import { afterEach, describe, expect, it } from "vitest";
import { findValidator, indexOfPublicKey } from "../../../src/consensus/pos/validators.ts";
import { toHex } from "../../../src/core/hash.ts";
import { waitFor } from "../p2p/harness.ts";
import {
  PosHarness,
  type PosPeer,
  posGenesis,
  ring,
  STAKE,
  split,
  validatorActors,
  waitForFinalized,
} from "./harness.ts";

const SLOT_MS = 300;
const SPE = 4;
const MIN_EPOCHS_TO_LEAK = 1;

const finalizedEpoch = (p: PosPeer): number => p.node.chain.finalized().epoch ?? 0;
const headEpoch = (p: PosPeer): number => Math.floor(p.engine.fields(p.node.chain.head().header).slot / SPE);

describe("PoS inactivity leak", { timeout: 120_000 }, () => {
  let h: PosHarness;
  afterEach(async () => h.close());

  it("a 5-of-8 side stalls, leaks the absent 3 and finalizes again; after the heal one chain", async () => {
    h = new PosHarness();
    const vals = validatorActors(8, "leak");
    const g = posGenesis(vals, {
      slotMs: SLOT_MS,
      slotsPerEpoch: SPE,
      startInMs: 1500,
      // The minority leaks the majority on its own chain at the same rate; a low ejection stake
      // keeps the majority's validators active there long enough for the heal to come first
      // (otherwise both sides end up finalizing, which no fork choice can undo).
      params: {
        inactivityPenaltyQuotient: 16,
        minEpochsToInactivityPenalty: MIN_EPOCHS_TO_LEAK,
        ejectionStake: 1_0000_0000n,
      },
    });
    // Four nodes: 3 + 2 validators on the majority side, 2 + 1 on the other.
    const keys = [vals.slice(0, 3), vals.slice(3, 5), vals.slice(5, 7), vals.slice(7)];
    const peers: PosPeer[] = [];
    for (let i = 0; i < keys.length; i++) peers.push(await h.start(`l${i}`, g, keys[i]!));
    await ring(peers);
    await waitForFinalized(peers, 1, 40_000);

    const major = peers.slice(0, 2);
    const minor = peers.slice(2);
    await split(major, minor);
    const splitEpoch = Math.max(...peers.map(headEpoch));
    const absent = vals.slice(5).map((v) => indexOfPublicKey(major[0]!.engine.headState()!, v.publicKey)!);
    const present = vals
      .slice(0, 5)
      .map((v) => indexOfPublicKey(major[0]!.engine.headState()!, v.publicKey)!);
    const stakeOn = (p: PosPeer, i: number): bigint => findValidator(p.engine.headState()!, i)!.stake;

    // The leak starts: the absent validators lose stake on the majority's chain.
    await waitFor(
      "the absent side's stake leaking on the majority side",
      () => major.every((p) => absent.every((i) => stakeOn(p, i) < STAKE)),
      (wake) => major.map((p) => p.node.chain.onHeadChange(wake)),
      40_000,
    );
    // It only leaks while finality is more than MIN_EPOCHS_TO_LEAK epochs behind: it stalled.
    const stalled = Math.max(...major.map(finalizedEpoch));
    expect(stalled).toBeLessThanOrEqual(splitEpoch);
    for (const p of major) expect(headEpoch(p) - 1 - finalizedEpoch(p)).toBeGreaterThan(MIN_EPOCHS_TO_LEAK);

    // With the absent stake drained below a third, the five finalize again past the stall.
    await waitForFinalized(major, stalled + 1, 60_000);
    const state = major[0]!.engine.headState()!;
    const effective = (i: number): bigint => findValidator(state, i)!.effective;
    const absentStake = absent.reduce((n, i) => n + effective(i), 0n);
    const presentStake = present.reduce((n, i) => n + effective(i), 0n);
    expect(absentStake).toBeLessThan(3n * STAKE);
    // 2/3 of the active stake is now on the majority side.
    expect(3n * presentStake).toBeGreaterThanOrEqual(2n * (presentStake + absentStake));
    // The minority never finalized past the split.
    for (const p of minor) expect(finalizedEpoch(p)).toBeLessThanOrEqual(splitEpoch);

    for (const p of peers) p.p2p.heal();
    await waitFor(
      "one head on all four nodes",
      () => new Set(peers.map((p) => toHex(p.node.chain.head().hash))).size === 1,
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      40_000,
    );
    // The minority adopted the majority's finalized chain.
    const fin = major[0]!.node.chain.finalized();
    for (const p of minor) {
      const ancestor = p.node.chain.view.ancestorAt(p.node.chain.head(), fin.height);
      expect(toHex(ancestor!.hash)).toBe(toHex(fin.hash));
      expect(finalizedEpoch(p)).toBeGreaterThan(stalled);
    }
  });
});
