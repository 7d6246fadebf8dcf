import { describe, expect, it } from "vitest";
import type { Tx } from "../../../src/core/tx.ts";
import { makeActor, newPool, TestState, transfer } from "./fixtures.ts";

describe("mempool performance sanity", () => {
  it("admits 10k txs and selects 5k", () => {
    const state = new TestState();
    const senders = Array.from({ length: 500 }, (_, i) => makeActor(`sender${i}`));
    const txs: Tx[] = [];
    senders.forEach((s, i) => {
      state.set(s, 1_000_000n);
      for (let nonce = 0; nonce < 20; nonce++) {
        txs.push(transfer(s, { nonce, fee: BigInt(10 + ((i * 7919 + nonce * 104729) % 1000)) }));
      }
    });
    const pool = newPool(state);
    for (const tx of txs) pool.add(tx);
    expect(pool.status()).toMatchObject({ pending: 10_000, queued: 0, senders: 500 });
    const block = pool.selectForBlock({ maxTxs: 5_000, height: 1 });
    expect(block).toHaveLength(5_000);
  }, 60_000);
});
