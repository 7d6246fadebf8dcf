import { describe, expect, it } from "vitest";
import { txId } from "../../../src/core/tx.ts";
import type { MempoolAddedEvent } from "../../../src/mempool/index.ts";
import { alice, bob, carol, codeOf, makeBlock, newPool, sink, TestState, transfer } from "./fixtures.ts";

function setup() {
  const state = new TestState().set(alice, 1000n).set(bob, 1000n).set(carol, 1000n);
  return { state, pool: newPool(state) };
}

describe("future nonces", () => {
  it("are held as queued and promoted when the gap fills", () => {
    const { pool } = setup();
    expect(pool.add(transfer(alice, { nonce: 2 })).status).toBe("queued");
    expect(pool.add(transfer(alice, { nonce: 1 })).status).toBe("queued");
    expect(pool.status()).toMatchObject({ pending: 0, queued: 2 });
    expect(pool.pendingNonce(alice.address)).toBe(0);
    expect(pool.add(transfer(alice, { nonce: 0 })).status).toBe("pending");
    expect(pool.status()).toMatchObject({ pending: 3, queued: 0 });
    expect(pool.pendingNonce(alice.address)).toBe(3);
  });

  it("are promoted when a block elsewhere mines the missing nonce", () => {
    const { state, pool } = setup();
    pool.add(transfer(alice, { nonce: 1 }));
    const block = state.mine([transfer(alice, { nonce: 0 })]);
    pool.onHeadChanged({ connected: [block], disconnected: [] });
    expect(pool.status()).toMatchObject({ pending: 1, queued: 0 });
    expect(pool.selectForBlock({ maxTxs: 10, height: 2 }).map((tx) => tx.nonce)).toEqual([1]);
  });
});

describe("onHeadChanged", () => {
  it("removes mined txs, and a replay of one is rejected as NONCE_TOO_LOW", () => {
    const { state, pool } = setup();
    const t0 = transfer(alice, { nonce: 0 });
    pool.add(t0);
    pool.add(transfer(alice, { nonce: 1 }));
    pool.onHeadChanged({ connected: [state.mine([t0])], disconnected: [] });
    expect(pool.has(txId(t0))).toBe(false);
    expect(pool.status()).toMatchObject({ pending: 1, queued: 0 });
    expect(codeOf(() => pool.add(t0))).toBe("TX_NONCE_TOO_LOW");
    expect(pool.removals()).toEqual({ included: 1 });
  });

  it("drops txs made stale by a block it never saw them in", () => {
    const { state, pool } = setup();
    const mine = transfer(alice, { nonce: 0, fee: 20n });
    pool.add(mine);
    // Another node mined a different tx with the same nonce.
    pool.onHeadChanged({
      connected: [state.mine([transfer(alice, { nonce: 0, amount: 5n })])],
      disconnected: [],
    });
    expect(pool.has(txId(mine))).toBe(false);
    expect(pool.removals()).toEqual({ stale_nonce: 1 });
  });

  it("re-injects txs from reorged-out blocks except those included again", () => {
    const { state, pool } = setup();
    const a0 = transfer(alice, { nonce: 0 });
    const a1 = transfer(alice, { nonce: 1 });
    const b0 = transfer(bob, { nonce: 0 });
    const snapshot = new Map(state.accounts);
    const oldBlock = state.mine([a0, a1, b0]);
    pool.onHeadChanged({ connected: [oldBlock], disconnected: [] });
    expect(pool.size).toBe(0);

    // Reorg: the new branch at the same height holds only bob's tx.
    state.accounts.clear();
    for (const [k, v] of snapshot) state.accounts.set(k, v);
    state.height = 0;
    const newBlock = state.mine([b0]);
    const events: MempoolAddedEvent[] = [];
    pool.onAdded((e) => events.push(e));
    pool.onHeadChanged({ connected: [newBlock], disconnected: [oldBlock] });

    expect(pool.has(txId(a0))).toBe(true);
    expect(pool.has(txId(a1))).toBe(true);
    expect(pool.has(txId(b0))).toBe(false);
    expect(pool.status()).toMatchObject({ pending: 2, queued: 0 });
    expect(events.map((e) => [e.tx.nonce, e.reinjected, e.status])).toEqual([
      [0, true, "pending"],
      [1, true, "pending"],
    ]);
  });

  it("re-injects disconnected blocks in height order whatever order they are given in", () => {
    const { state, pool } = setup();
    const a0 = transfer(alice, { nonce: 0 });
    const a1 = transfer(alice, { nonce: 1 });
    const snapshot = new Map(state.accounts);
    const b1 = state.mine([a0]);
    const b2 = state.mine([a1]);
    pool.onHeadChanged({ connected: [b1, b2], disconnected: [] });
    state.accounts.clear();
    for (const [k, v] of snapshot) state.accounts.set(k, v);
    state.height = 0;
    const c1 = state.mine([]);
    pool.onHeadChanged({ connected: [c1], disconnected: [b2, b1] });
    expect(pool.pendingFor(alice.address).map((tx) => tx.nonce)).toEqual([0, 1]);
    expect(pool.status()).toMatchObject({ pending: 2, queued: 0 });
  });

  it("silently drops reorged-out txs that are now invalid", () => {
    const { state, pool } = setup();
    state.set(sink, 0n);
    // bob spends what alice sent him; on the new branch alice's transfer is gone and bob is broke.
    const a0 = transfer(alice, { nonce: 0, to: bob.address, amount: 900n });
    const pay = state.mine([a0]);
    state.set(bob, 1900n);
    const spend = transfer(bob, { nonce: 0, amount: 1500n });
    const oldTip = state.mine([spend]);
    pool.onHeadChanged({ connected: [pay, oldTip], disconnected: [] });
    // The new branch: alice's nonce 0 is spent elsewhere, bob has only his 1000.
    state.set(alice, 500n, 1).set(bob, 1000n);
    state.height = 1;
    const other = makeBlock(1, [transfer(alice, { nonce: 0, amount: 490n })]);
    pool.onHeadChanged({ connected: [other], disconnected: [pay, oldTip] });
    expect(pool.size).toBe(0);
    expect(pool.rejections()).toEqual({});
  });

  it("drops txs that expire as the head moves, leaving later nonces queued", () => {
    const { state, pool } = setup();
    state.height = 3;
    const a0 = transfer(alice, { nonce: 0, expiresAt: 5 });
    pool.add(a0);
    pool.add(transfer(alice, { nonce: 1 }));
    pool.onHeadChanged({ connected: [state.mine([])], disconnected: [] });
    expect(pool.has(txId(a0))).toBe(true);
    pool.onHeadChanged({ connected: [state.mine([])], disconnected: [] });
    expect(pool.has(txId(a0))).toBe(false);
    expect(pool.status()).toMatchObject({ pending: 0, queued: 1 });
    expect(pool.removals()).toEqual({ expired: 1 });
    expect(pool.pendingNonce(alice.address)).toBe(0);
  });

  it("drops the highest nonces of a sender whose balance no longer covers them", () => {
    const { state, pool } = setup();
    for (const nonce of [0, 1, 2, 3]) pool.add(transfer(carol, { nonce, amount: 240n }));
    state.set(carol, 600n);
    pool.onHeadChanged({ connected: [state.mine([])], disconnected: [] });
    expect(pool.pendingFor(carol.address).map((tx) => tx.nonce)).toEqual([0, 1]);
    expect(pool.removals()).toEqual({ unaffordable: 2 });
    expect(pool.status()).toMatchObject({ pending: 2, queued: 0, senders: 1 });
  });

  it("re-checks a sender on add when its account moved before onHeadChanged", () => {
    const { state, pool } = setup();
    pool.add(transfer(alice, { nonce: 0 }));
    state.set(alice, 1000n, 1);
    expect(pool.add(transfer(alice, { nonce: 1 })).status).toBe("pending");
    expect(pool.size).toBe(1);
    expect(pool.status()).toMatchObject({ pending: 1, queued: 0 });
  });
});
