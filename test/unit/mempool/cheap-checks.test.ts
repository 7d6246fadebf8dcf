import { describe, expect, it } from "vitest";
import { type Tx, txId } from "../../../src/core/tx.ts";
import {
  alice,
  bob,
  CHAIN_ID,
  codeOf,
  dave,
  MIN_FEE,
  makeActor,
  makeBlock,
  newPool,
  TestState,
  transfer,
} from "./fixtures.ts";

/** Signs well but owns nothing. */
const eve = makeActor("eve");

/** `tx` with its signature broken: any code but TX_BAD_SIGNATURE proves the signature was not checked. */
function forged(tx: Tx): Tx {
  const signature = new Uint8Array(tx.signature);
  signature[0]! ^= 0xff;
  return { ...tx, signature };
}

interface Case {
  name: string;
  before?: () => Tx[];
  input: () => Tx;
  expected: string;
}

// Head at height 10. alice: funded at nonce 3; bob: funded at nonce 0; eve: nothing.
// Pool of 2 txs with 1 queued slot. Every input carries a broken signature.
const cases: Case[] = [
  {
    name: "eve, unfunded",
    input: () => forged(transfer(eve, { nonce: 0 })),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "alice, another chain",
    input: () => forged(transfer(alice, { nonce: 3, chainId: CHAIN_ID + 1 })),
    expected: "TX_WRONG_CHAIN",
  },
  {
    name: "alice, fee below minimum",
    input: () => forged(transfer(alice, { nonce: 3, fee: MIN_FEE - 1n })),
    expected: "TX_FEE_TOO_LOW",
  },
  {
    name: "alice, expired",
    input: () => forged(transfer(alice, { nonce: 3, expiresAt: 10 })),
    expected: "TX_EXPIRED",
  },
  {
    name: "alice, replayed nonce",
    input: () => forged(transfer(alice, { nonce: 2 })),
    expected: "TX_NONCE_TOO_LOW",
  },
  {
    name: "alice, beyond the gap",
    input: () => forged(transfer(alice, { nonce: 3 + 65 })),
    expected: "MEMPOOL_NONCE_GAP",
  },
  {
    name: "alice, overspends with her pool txs",
    before: () => [transfer(alice, { nonce: 3, amount: 900n })],
    input: () => forged(transfer(alice, { nonce: 4, amount: 100n })),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "alice, gap tx on a full queue",
    before: () => [transfer(bob, { nonce: 1, fee: 600n })],
    input: () => forged(transfer(alice, { nonce: 5, fee: 500n })),
    expected: "MEMPOOL_POOL_FULL",
  },
  {
    name: "alice, underpriced replacement",
    before: () => [transfer(alice, { nonce: 3, fee: 100n })],
    input: () => forged(transfer(alice, { nonce: 3, fee: 105n })),
    expected: "MEMPOOL_REPLACEMENT_UNDERPRICED",
  },
  {
    name: "alice, the one case that reaches it",
    input: () => forged(transfer(alice, { nonce: 3 })),
    expected: "TX_BAD_SIGNATURE",
  },
];

function setup() {
  const state = new TestState().set(alice, 1000n, 3).set(bob, 1000n);
  state.height = 10;
  return { state, pool: newPool(state, { maxTxs: 2, maxQueued: 1 }) };
}

describe("cheap checks before the signature", () => {
  it.each(cases)("$name -> $expected", ({ before, input, expected }) => {
    const { pool } = setup();
    for (const tx of before?.() ?? []) pool.add(tx);
    const checks = pool.status().signatureChecks;
    expect(codeOf(() => pool.add(input()))).toBe(expected);
    expect(pool.status().signatureChecks - checks).toBe(expected === "TX_BAD_SIGNATURE" ? 1 : 0);
  });
});

describe("negative cache", () => {
  it("a forged tx costs one signature check however often it comes, and never blocks the honest one", () => {
    const { pool } = setup();
    const honest = transfer(alice, { nonce: 3 });
    const fake = forged(honest);
    for (let i = 0; i < 5; i++) expect(codeOf(() => pool.add(fake))).toBe("TX_BAD_SIGNATURE");
    expect(pool.status().signatureChecks).toBe(1);
    expect(pool.add(honest).status).toBe("pending");
  });

  it("a reordered replay of a batch of forged txs costs no further signature checks", () => {
    const { pool } = setup();
    const batch = Array.from({ length: 20 }, (_, i) =>
      forged(transfer(alice, { nonce: 3, amount: BigInt(i + 1) })),
    );
    for (const tx of batch) codeOf(() => pool.add(tx));
    for (const tx of [...batch].reverse()) expect(codeOf(() => pool.add(tx))).toBe("TX_BAD_SIGNATURE");
    expect(pool.status().signatureChecks).toBe(20);
  });

  it("forgets head-dependent rejections on a head change: a sender funded since gets in", () => {
    const { state, pool } = setup();
    const tx = transfer(dave, { nonce: 0 });
    expect(codeOf(() => pool.add(tx))).toBe("TX_INSUFFICIENT_FUNDS");
    state.set(dave, 1000n);
    expect(codeOf(() => pool.add(tx))).toBe("TX_INSUFFICIENT_FUNDS");
    pool.onHeadChanged({ connected: [makeBlock(11, [])], disconnected: [] });
    expect(pool.add(tx).status).toBe("pending");
    expect(pool.has(txId(tx))).toBe(true);
  });

  it("keeps stateless rejections across head changes", () => {
    const { pool } = setup();
    const fake = forged(transfer(alice, { nonce: 3 }));
    codeOf(() => pool.add(fake));
    pool.onHeadChanged({ connected: [makeBlock(11, [])], disconnected: [] });
    expect(codeOf(() => pool.add(fake))).toBe("TX_BAD_SIGNATURE");
    expect(pool.status().signatureChecks).toBe(1);
  });

  it("counts cached rejections like any other", () => {
    const { pool } = setup();
    const tx = transfer(eve, { nonce: 0 });
    codeOf(() => pool.add(tx));
    codeOf(() => pool.add(tx));
    expect(pool.rejections()).toEqual({ TX_INSUFFICIENT_FUNDS: 2 });
  });
});
