import { describe, expect, it } from "vitest";
import { parsePosParams, posGenesisParams } from "../../../../src/consensus/pos/params.ts";
import { processBlock } from "../../../../src/consensus/pos/transition.ts";
import { U64_MAX } from "../../../../src/core/encoding.ts";
import { StateOverlay } from "../../../../src/core/state.ts";
import { addressBytesOf } from "../../../../src/crypto/address.ts";
import { COIN, DOMAIN, PosSim, testKey } from "./sim.ts";

describe("rewards and issuance", () => {
  it("issuance fills the pool and every timely target vote is paid from it each epoch", () => {
    const sim = new PosSim({
      validators: 8,
      params: { issuancePerEpoch: 10_000n, attestationReward: 1000n },
    });
    const addresses = sim.keys.map((k) => addressBytesOf(k.publicKey));
    sim.runToEpoch(1);
    // The end of epoch 0 pays nothing (no previous epoch) and issues nothing.
    expect(sim.pos().rewardPool).toBe(0n);
    sim.runToEpoch(2);
    // Epoch 0 had one vote less (the genesis slot has no block to vote for): 7 rewards of 1000.
    expect(sim.pos().rewardPool).toBe(3000n);
    const supply = sim.supply(addresses);
    const stakes = sim.validators().map((v) => v.stake);
    for (let e = 3; e <= 5; e++) {
      sim.runToEpoch(e);
      // All 8 voted in epoch e - 2: 8 rewards of 1000 out of each epoch's 10,000.
      const n = BigInt(e - 2);
      expect(sim.pos().rewardPool).toBe(3000n + n * 2000n);
      expect(sim.validators().map((v) => v.stake)).toEqual(stakes.map((x) => x + n * 1000n));
      expect(sim.supply(addresses)).toBe(supply + n * 10_000n);
    }
  });

  it("pays only what the pool holds (no issuance: rewards come from penalties)", () => {
    const sim = new PosSim({ validators: 8, params: { attestationReward: 1000n } });
    sim.runToEpoch(4);
    expect(sim.pos().rewardPool).toBe(0n);
    for (const v of sim.validators()) expect(v.stake).toBe(32n * COIN);
  });

  it("refuses a genesis whose bonded stake exceeds u64", () => {
    const big = { publicKey: new Uint8Array(32).fill(1), stake: U64_MAX, withdrawal: new Uint8Array(20) };
    const raw = posGenesisParams({ slotMs: 1000, slotsPerEpoch: 8, validators: [big] });
    const two = {
      ...raw,
      validators: [
        ...(raw.validators as object[]),
        { ...(raw.validators as object[])[0], publicKey: "02".repeat(32) },
      ],
    };
    expect(() => parsePosParams(two as never)).toThrow(
      expect.objectContaining({ code: "CONSENSUS_BAD_PARAMS" }),
    );
  });

  it("a chain whose last validator left refuses every block instead of crashing", () => {
    const key = testKey(0);
    const sim = new PosSim({ validators: 1, alloc: [{ key, balance: COIN }] });
    sim.runTo(1);
    sim.block(2, {}, [sim.stakingTx(key, "unstake", 0n, 0)]);
    expect(sim.validator(0).exitEpoch).toBe(3);
    sim.runTo(23);
    const block = () =>
      processBlock(
        new StateOverlay(sim.state),
        {
          slot: 24,
          proposerIndex: 0,
          randaoReveal: new Uint8Array(64),
          body: { attestations: [], proposerSlashings: [], attesterSlashings: [] },
          fees: 0n,
          beneficiary: new Uint8Array(20),
          rootAtSlot: sim.rootAtSlot,
          domain: DOMAIN,
        },
        sim.params,
      );
    expect(block).toThrow(expect.objectContaining({ code: "BLOCK_BAD_PROPOSER" }));
  });
});
