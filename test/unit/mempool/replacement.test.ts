import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/core/hash.ts";
import { txId } from "../../../src/core/tx.ts";
import { minReplacementFee } from "../../../src/mempool/index.ts";
import { alice, bob, codeOf, newPool, TestState, transfer } from "./fixtures.ts";

describe("minReplacementFee", () => {
  it.each([
    { old: 10n, bump: 10, expected: 11n },
    { old: 100n, bump: 10, expected: 110n },
    { old: 101n, bump: 10, expected: 112n },
    { old: 1n, bump: 10, expected: 2n },
    { old: 100n, bump: 0, expected: 101n },
    { old: 0n, bump: 10, expected: 1n },
    { old: 100n, bump: 100, expected: 200n },
  ])("$old at +$bump% -> $expected", ({ old, bump, expected }) => {
    expect(minReplacementFee(old, bump)).toBe(expected);
  });
});

describe("same-nonce replacement", () => {
  const setup = (bump?: number) => {
    const state = new TestState().set(alice, 1000n).set(bob, 1000n);
    const pool = newPool(state, bump === undefined ? {} : { replaceBumpPercent: bump });
    return { state, pool };
  };

  it.each([
    { name: "lower fee", fee: 90n, expected: "MEMPOOL_REPLACEMENT_UNDERPRICED" },
    { name: "equal fee", fee: 100n, expected: "MEMPOOL_REPLACEMENT_UNDERPRICED" },
    { name: "+9%", fee: 109n, expected: "MEMPOOL_REPLACEMENT_UNDERPRICED" },
    { name: "+10%", fee: 110n, expected: "OK" },
    { name: "+50%", fee: 150n, expected: "OK" },
  ])("$name -> $expected", ({ fee, expected }) => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0, fee: 100n }));
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0, fee, amount: 7n })))).toBe(expected);
  });

  it("swaps the tx and reports the replaced id", () => {
    const { pool } = setup();
    const old = transfer(alice, { nonce: 0, fee: 100n });
    const next = transfer(alice, { nonce: 0, fee: 120n, amount: 5n });
    pool.add(old);
    pool.add(transfer(alice, { nonce: 1, fee: 100n }));
    const r = pool.add(next);
    expect(r.status).toBe("pending");
    expect(toHex(r.replaced!)).toBe(toHex(txId(old)));
    expect(pool.has(txId(old))).toBe(false);
    expect(pool.get(txId(next))?.amount).toBe(5n);
    expect(pool.size).toBe(2);
    expect(pool.status()).toMatchObject({ pending: 2, queued: 0 });
    expect(pool.removals()).toEqual({ replaced: 1 });
  });

  it("a queued tx can be replaced and stays queued", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 3, fee: 100n }));
    const r = pool.add(transfer(alice, { nonce: 3, fee: 200n }));
    expect(r.status).toBe("queued");
    expect(pool.status()).toMatchObject({ pending: 0, queued: 1 });
  });

  it("with a zero bump any strictly higher fee replaces", () => {
    const { pool } = setup(0);
    pool.add(transfer(alice, { nonce: 0, fee: 100n }));
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0, fee: 100n, amount: 3n })))).toBe(
      "MEMPOOL_REPLACEMENT_UNDERPRICED",
    );
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0, fee: 101n })))).toBe("OK");
  });

  it("the balance check counts the replacement instead of the replaced tx", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0, amount: 500n, fee: 100n }));
    pool.add(transfer(alice, { nonce: 1, amount: 300n, fee: 100n }));
    // 1000 - (400 for nonce 1) leaves 600 for nonce 0: 489 + 111 fits, 490 + 111 does not.
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0, amount: 490n, fee: 111n })))).toBe(
      "TX_INSUFFICIENT_FUNDS",
    );
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0, amount: 489n, fee: 111n })))).toBe("OK");
  });

  it("replacement works at the sender cap and in a full pool, without evicting", () => {
    const state = new TestState().set(alice, 1000n).set(bob, 1000n);
    const pool = newPool(state, { maxTxs: 3, maxPerSender: 2 });
    pool.add(transfer(alice, { nonce: 0, fee: 50n }));
    pool.add(transfer(alice, { nonce: 1, fee: 50n }));
    pool.add(transfer(bob, { nonce: 0, fee: 20n }));
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 1, fee: 60n })))).toBe("OK");
    expect(codeOf(() => pool.add(transfer(bob, { nonce: 0, fee: 30n })))).toBe("OK");
    expect(pool.size).toBe(3);
    expect(pool.removals()).toEqual({ replaced: 2 });
  });
});
