import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { txId } from "../../../src/core/tx.ts";
import { alice, bob, carol, codeOf, dave, makeActor, newPool, TestState, transfer } from "./fixtures.ts";

function fullPool() {
  const state = new TestState().set(alice, 10_000n).set(bob, 10_000n).set(carol, 10_000n).set(dave, 10_000n);
  return { state, pool: newPool(state, { maxTxs: 3 }) };
}

describe("eviction when the pool is full", () => {
  it("evicts the cheapest sender tail when the new tx pays more", () => {
    const { pool } = fullPool();
    const a1 = transfer(alice, { nonce: 1, fee: 15n });
    pool.add(transfer(alice, { nonce: 0, fee: 20n }));
    pool.add(a1);
    pool.add(transfer(bob, { nonce: 0, fee: 30n }));
    expect(codeOf(() => pool.add(transfer(carol, { nonce: 0, fee: 15n })))).toBe("MEMPOOL_POOL_FULL");
    expect(codeOf(() => pool.add(transfer(carol, { nonce: 0, fee: 16n })))).toBe("OK");
    expect(pool.has(txId(a1))).toBe(false);
    expect(pool.size).toBe(3);
    expect(pool.removals()).toEqual({ evicted: 1 });
    expect(pool.rejections()).toEqual({ MEMPOOL_POOL_FULL: 1 });
  });

  it("prefers a tail over a cheaper tx in the middle, so no gap opens", () => {
    const { pool } = fullPool();
    const a0 = transfer(alice, { nonce: 0, fee: 11n });
    const b0 = transfer(bob, { nonce: 0, fee: 20n });
    pool.add(a0);
    pool.add(transfer(alice, { nonce: 1, fee: 50n }));
    pool.add(b0);
    pool.add(transfer(carol, { nonce: 0, fee: 25n }));
    expect(pool.has(txId(a0))).toBe(true);
    expect(pool.has(txId(b0))).toBe(false);
    expect(pool.status()).toMatchObject({ pending: 3, queued: 0 });
  });

  it("does not evict a sender's own lower nonce to make room for its next one", () => {
    const { pool } = fullPool();
    pool.add(transfer(bob, { nonce: 0, fee: 90n }));
    pool.add(transfer(alice, { nonce: 0, fee: 20n }));
    pool.add(transfer(alice, { nonce: 1, fee: 20n }));
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 2, fee: 80n })))).toBe("MEMPOOL_POOL_FULL");
  });

  it("may evict a sender's own higher nonce for a lower one", () => {
    const { pool } = fullPool();
    pool.add(transfer(bob, { nonce: 0, fee: 90n }));
    pool.add(transfer(carol, { nonce: 0, fee: 90n }));
    pool.add(transfer(alice, { nonce: 5, fee: 20n }));
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0, fee: 30n })))).toBe("OK");
    expect(pool.pendingFor(alice.address).map((tx) => tx.nonce)).toEqual([0]);
    expect(pool.status()).toEqual(expect.objectContaining({ pending: 3, queued: 0, senders: 3 }));
  });

  it("under churn stays within its cap and never opens a gap in a contiguous sender", () => {
    const senders = Array.from({ length: 6 }, (_, i) => makeActor(`s${i}`));
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.nat(5), fee: fc.integer({ min: 10, max: 60 }) }), { maxLength: 40 }),
        (ops) => {
          const state = new TestState();
          for (const s of senders) state.set(s, 1_000_000n);
          const pool = newPool(state, { maxTxs: 8 });
          for (const { who, fee } of ops) {
            const s = senders[who]!;
            codeOf(() => pool.add(transfer(s, { nonce: pool.pendingNonce(s.address), fee: BigInt(fee) })));
          }
          expect(pool.size).toBeLessThanOrEqual(8);
          expect(pool.status().queued).toBe(0);
          for (const s of senders) {
            expect(pool.pendingFor(s.address).map((tx) => tx.nonce)).toEqual(
              pool.pendingFor(s.address).map((_, i) => i),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
