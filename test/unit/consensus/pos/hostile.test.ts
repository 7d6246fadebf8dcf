import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { epochOf } from "../../../../src/consensus/pos/params.ts";
import { processBlock } from "../../../../src/consensus/pos/transition.ts";
import {
  type Attestation,
  encodePosFields,
  type PosBody,
  randaoSigningRoot,
} from "../../../../src/consensus/pos/types.ts";
import type { Header } from "../../../../src/core/block.ts";
import { ChainlabError } from "../../../../src/core/errors.ts";
import { StateOverlay } from "../../../../src/core/state.ts";
import { sign } from "../../../../src/crypto/ed25519.ts";
import { bytes, hashArb } from "../../core/codec-helpers.ts";
import { DOMAIN, PosSim } from "./sim.ts";

describe("hostile bodies", () => {
  const sim = new PosSim({ validators: 16 });
  sim.runTo(20);
  const honest = sim.pending;
  const epochArb = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Number.MAX_SAFE_INTEGER));
  const slotArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(Number.MAX_SAFE_INTEGER));
  const cpArb = fc.record({ epoch: epochArb, root: fc.oneof(hashArb, fc.constant(new Uint8Array(32))) });
  const attArb: fc.Arbitrary<Attestation> = fc.oneof(
    fc.record({
      validatorIndex: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(0xffff_ffff)),
      data: fc.record({ slot: slotArb, head: hashArb, source: cpArb, target: cpArb }),
      signature: bytes(64),
    }),
    fc.constantFrom(...honest),
  );
  const headerArb: fc.Arbitrary<Header> = fc.record({
    version: fc.constant(1),
    height: fc.nat(),
    parentHash: hashArb,
    txRoot: hashArb,
    stateRoot: hashArb,
    beneficiary: bytes(20),
    timestamp: fc.nat(),
    engine: fc
      .record({
        slot: slotArb,
        proposerIndex: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(0xffff_ffff)),
        randaoReveal: bytes(64),
        bodyRoot: hashArb,
        signature: bytes(64),
      })
      .map(encodePosFields),
  });
  const bodyArb: fc.Arbitrary<PosBody> = fc.record({
    attestations: fc.array(attArb, { maxLength: 6 }),
    proposerSlashings: fc.array(fc.record({ a: headerArb, b: headerArb }), { maxLength: 2 }),
    attesterSlashings: fc.array(fc.record({ a: attArb, b: attArb }), { maxLength: 2 }),
  });

  it("every body either applies or is refused with a ChainlabError (never another throw)", () => {
    const proposer = sim.proposerOf(21);
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(bodyArb, (body) => {
        let outcome = "OK";
        try {
          processBlock(
            new StateOverlay(sim.state),
            {
              slot: 21,
              proposerIndex: proposer,
              randaoReveal: sign(
                randaoSigningRoot(DOMAIN, epochOf(21, sim.params)),
                sim.keys[proposer]!.secretKey,
              ),
              body,
              fees: 0n,
              beneficiary: new Uint8Array(20),
              rootAtSlot: sim.rootAtSlot,
              domain: DOMAIN,
            },
            sim.params,
          );
        } catch (err) {
          if (!(err instanceof ChainlabError)) throw err;
          outcome = (err.data.reason as string | undefined) ?? err.code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: 300, seed: 11 },
    );
    // The generator reaches both valid bodies and many different refusals.
    expect(outcomes.get("OK")).toBeGreaterThan(0);
    expect(outcomes.size).toBeGreaterThan(5);
  });
});
