import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/core/hash.ts";
import { encodeTx, type Tx } from "../../../src/core/tx.ts";
import { addressBytesOf } from "../../../src/crypto/address.ts";
import { alice, bob, carol, codeOf, newPool, TestState, transfer } from "./fixtures.ts";

const label = (tx: Tx) =>
  `${[alice, bob, carol].find((a) => toHex(a.keys.publicKey) === toHex(tx.from))?.name}${tx.nonce}`;

function setup() {
  const state = new TestState().set(alice, 10_000n).set(bob, 10_000n).set(carol, 10_000n);
  return { state, pool: newPool(state) };
}

describe("selectForBlock", () => {
  it("orders by fee across senders", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0, fee: 50n }));
    pool.add(transfer(bob, { nonce: 0, fee: 30n }));
    pool.add(transfer(carol, { nonce: 0, fee: 40n }));
    expect(pool.selectForBlock({ maxTxs: 10, height: 1 }).map(label)).toEqual(["alice0", "carol0", "bob0"]);
  });

  it("keeps each sender's nonce order even when a later nonce pays more", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 1, fee: 100n }));
    pool.add(transfer(alice, { nonce: 0, fee: 10n }));
    pool.add(transfer(bob, { nonce: 0, fee: 50n }));
    pool.add(transfer(bob, { nonce: 1, fee: 20n }));
    expect(pool.selectForBlock({ maxTxs: 10, height: 1 }).map(label)).toEqual([
      "bob0",
      "bob1",
      "alice0",
      "alice1",
    ]);
  });

  it("breaks fee ties by arrival", () => {
    const { pool } = setup();
    pool.add(transfer(carol, { nonce: 0, fee: 30n }));
    pool.add(transfer(alice, { nonce: 0, fee: 30n }));
    pool.add(transfer(bob, { nonce: 0, fee: 30n }));
    expect(pool.selectForBlock({ maxTxs: 10, height: 1 }).map(label)).toEqual(["carol0", "alice0", "bob0"]);
  });

  it("leaves out queued txs behind a gap and stops at maxTxs", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0, fee: 10n }));
    pool.add(transfer(alice, { nonce: 2, fee: 90n }));
    pool.add(transfer(bob, { nonce: 0, fee: 20n }));
    pool.add(transfer(carol, { nonce: 0, fee: 15n }));
    expect(pool.selectForBlock({ maxTxs: 10, height: 1 }).map(label)).toEqual(["bob0", "carol0", "alice0"]);
    expect(pool.selectForBlock({ maxTxs: 2, height: 1 }).map(label)).toEqual(["bob0", "carol0"]);
    expect(pool.selectForBlock({ maxTxs: 0, height: 1 })).toEqual([]);
  });

  it("skips a tx expired at the block height, and the sender's later nonces with it", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0, fee: 50n, expiresAt: 3 }));
    pool.add(transfer(alice, { nonce: 1, fee: 50n }));
    pool.add(transfer(bob, { nonce: 0, expiresAt: 4 }));
    expect(pool.selectForBlock({ maxTxs: 10, height: 3 }).map(label)).toEqual(["alice0", "alice1", "bob0"]);
    expect(pool.selectForBlock({ maxTxs: 10, height: 4 }).map(label)).toEqual(["bob0"]);
  });

  it("starts at the account nonce and stays within the balance of the last head change", () => {
    const { state, pool } = setup();
    for (const nonce of [0, 1, 2, 3]) pool.add(transfer(alice, { nonce, amount: 1000n, fee: 10n }));
    state.set(alice, 2020n, 1);
    pool.onHeadChanged({ connected: [], disconnected: [] });
    expect(pool.selectForBlock({ maxTxs: 10, height: 1 }).map(label)).toEqual(["alice1", "alice2"]);
  });

  it("resyncs with the head when it moved without onHeadChanged", () => {
    const { state, pool } = setup();
    const a0 = transfer(alice, { nonce: 0 });
    pool.add(a0);
    pool.add(transfer(alice, { nonce: 1 }));
    state.mine([a0]);
    expect(pool.selectForBlock({ maxTxs: 10, height: 2 }).map(label)).toEqual(["alice1"]);
    expect(pool.size).toBe(1);
  });

  it("respects maxBytes, letting smaller txs of other senders fill the space", () => {
    const { pool } = setup();
    const big = transfer(alice, { nonce: 0, fee: 90n, payload: new Uint8Array(200) });
    const small = transfer(bob, { nonce: 0, fee: 20n });
    pool.add(big);
    pool.add(small);
    const smallSize = encodeTx(small).length + 2;
    expect(pool.selectForBlock({ maxTxs: 10, height: 1, maxBytes: smallSize }).map(label)).toEqual(["bob0"]);
    expect(pool.selectForBlock({ maxTxs: 10, height: 1, maxBytes: 10_000 }).map(label)).toEqual([
      "alice0",
      "bob0",
    ]);
  });

  it("does not change the pool", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0 }));
    pool.selectForBlock({ maxTxs: 10, height: 1 });
    expect(pool.size).toBe(1);
  });
});

const actors = [alice, bob, carol];

describe("selectForBlock property", () => {
  it("is nonce-contiguous per sender from the account nonce, affordable, unexpired, bounded and complete", () => {
    const balanceArb = fc.oneof(fc.bigInt({ min: 0n, max: 500n }), fc.bigInt({ min: 500n, max: 5000n }));
    const accountArb = fc.record({ nonce: fc.nat(3), balance: balanceArb });
    const driftArb = fc.record({ nonce: fc.nat(1), balance: balanceArb });
    const opArb = fc.record({
      who: fc.nat(2),
      // Mostly extend the sender's pending run; sometimes aim near the account nonce (replace, gap).
      extend: fc.oneof(
        { arbitrary: fc.constant(true), weight: 3 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      offset: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.nat(4), weight: 1 }),
      fee: fc.integer({ min: 10, max: 100 }),
      amount: fc.integer({ min: 1, max: 400 }),
      expiresAt: fc.oneof(
        { arbitrary: fc.constant(0), weight: 3 },
        { arbitrary: fc.integer({ min: 1, max: 12 }), weight: 1 },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(accountArb, { minLength: 3, maxLength: 3 }),
        fc.array(opArb, { minLength: 3, maxLength: 24, size: "max" }),
        fc.nat(5),
        fc.option(fc.array(driftArb, { minLength: 3, maxLength: 3 }), { freq: 2 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 25 }),
        fc.nat(4),
        (accounts, ops, head, drift, notify, maxTxs, ahead) => {
          const state = new TestState();
          state.height = head;
          for (const [i, a] of actors.entries()) state.set(a, accounts[i]!.balance, accounts[i]!.nonce);
          const pool = newPool(state, { maxFutureGap: 4 });
          for (const op of ops) {
            const a = actors[op.who]!;
            const base = op.extend ? pool.pendingNonce(a.address) : state.getAccount(a.address).nonce;
            const nonce = base + op.offset;
            const tx = transfer(a, {
              nonce,
              fee: BigInt(op.fee),
              amount: BigInt(op.amount),
              expiresAt: op.expiresAt,
            });
            codeOf(() => pool.add(tx));
          }
          if (drift !== null) {
            actors.forEach((a, i) => {
              const before = state.getAccount(a.address).nonce;
              state.set(a, drift[i]!.balance, before + drift[i]!.nonce);
            });
            // Either the node reports the head change, or the pool notices the height moved.
            if (notify) pool.onHeadChanged({ connected: [], disconnected: [] });
            else state.height++;
          }
          const height = state.height + 1 + ahead;
          const out = pool.selectForBlock({ maxTxs, height });
          expect(out.length).toBeLessThanOrEqual(maxTxs);
          const next = new Map<string, { nonce: number; balance: bigint }>();
          for (const tx of out) {
            const key = toHex(addressBytesOf(tx.from));
            const acct = next.get(key) ?? { ...state.getAccount(addressBytesOf(tx.from)) };
            expect(tx.nonce).toBe(acct.nonce);
            expect(tx.amount + tx.fee).toBeLessThanOrEqual(acct.balance);
            expect(tx.expiresAt === 0 || tx.expiresAt >= height).toBe(true);
            next.set(key, { nonce: acct.nonce + 1, balance: acct.balance - tx.amount - tx.fee });
          }
          // Below maxTxs the template is complete: no sender's next tx was executable and left out.
          if (out.length < maxTxs) {
            for (const a of actors) {
              const acct = next.get(toHex(a.address)) ?? state.getAccount(a.address);
              const tx = pool.pendingFor(a.address).find((t) => t.nonce === acct.nonce);
              const executable =
                tx !== undefined &&
                (tx.expiresAt === 0 || tx.expiresAt >= height) &&
                tx.amount + tx.fee <= acct.balance;
              expect(executable).toBe(false);
            }
          }
          const counted = pool.status();
          expect(counted.pending + counted.queued).toBe(pool.size);
        },
      ),
      { numRuns: 80 },
    );
  });
});
