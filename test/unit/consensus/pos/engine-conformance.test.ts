/**
 * The engine conformance suite against the PoS engine. The suite builds templates from
 * `prepareFields` (slot only: the proposer and its RANDAO reveal need the parent's state and the
 * proposer's key), so the fixture's engine fills them in when the template is executed, as a
 * validator client does before it builds, and `sealBlock` signs as the slot's proposer.
 */
import type { ApplyContext } from "../../../../src/consensus/engine.ts";
import { PosEngine } from "../../../../src/consensus/pos/engine.ts";
import { rootAtSlot } from "../../../../src/consensus/pos/meta.ts";
import { posGenesisParams } from "../../../../src/consensus/pos/params.ts";
import { proposalFields, signBlock } from "../../../../src/consensus/pos/producer.ts";
import { proposerIndex } from "../../../../src/consensus/pos/proposer.ts";
import { advanceSlots } from "../../../../src/consensus/pos/transition.ts";
import { EMPTY_POS_BODY, posFieldsOf } from "../../../../src/consensus/pos/types.ts";
import type { Block } from "../../../../src/core/block.ts";
import type { Genesis } from "../../../../src/core/genesis.ts";
import { StateOverlay } from "../../../../src/core/state.ts";
import { actor } from "../../../helpers/fixtures.ts";
import { runEngineConformance } from "../engine-conformance.ts";

const SLOT_MS = 1000;
const vals = Array.from({ length: 4 }, (_, i) => actor(`conformance-validator-${i}`));

/** A PoS engine that gives a slot-only template its proposer and RANDAO reveal (test keys). */
class FixturePosEngine extends PosEngine {
  override applyBlock(block: Block, state: StateOverlay, ctx: ApplyContext): Uint8Array {
    const f = posFieldsOf(block.header);
    if (f.randaoReveal.every((b) => b === 0)) {
      const scratch = new StateOverlay(state);
      advanceSlots(scratch, f.slot, this.params, (s) => rootAtSlot(ctx.view, ctx.parent, s));
      const proposer = proposerIndex(scratch, f.slot, this.params);
      block.engineBody = EMPTY_POS_BODY;
      block.header.engine = proposalFields(this, f.slot, proposer, vals[proposer]!.secretKey, EMPTY_POS_BODY);
    }
    return super.applyBlock(block, state, ctx);
  }
}

runEngineConformance("pos", () => {
  const alice = actor("alice");
  const bob = actor("bob");
  // Genesis an hour ago: every produced slot has begun.
  const start = Date.now() - 3_600_000;
  const genesis: Genesis = {
    chainId: 4343,
    timestamp: start - (start % SLOT_MS),
    minFee: 1n,
    consensus: {
      type: "pos",
      params: posGenesisParams({
        slotMs: SLOT_MS,
        slotsPerEpoch: 4,
        validators: vals.map((v) => ({
          publicKey: v.publicKey,
          stake: 32n * 1_0000_0000n,
          withdrawal: v.addressBytes,
        })),
      }),
    },
    alloc: { [alice.address]: 1_000_000_000n, [bob.address]: 1_000_000_000n },
  };
  let engine: FixturePosEngine | undefined;
  return {
    genesis,
    funded: [alice, bob],
    createEngine: (g) => {
      engine = new FixturePosEngine(g);
      return engine;
    },
    nextTimestamp: (parent) => parent.header.timestamp + SLOT_MS,
    sealBlock: (block) => signBlock(engine!, block, vals[posFieldsOf(block.header).proposerIndex]!.secretKey),
    now: Date.now,
  };
});
