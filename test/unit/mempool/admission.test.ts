import { describe, expect, it } from "vitest";
import { TxError } from "../../../src/core/errors.ts";
import { toHex } from "../../../src/core/hash.ts";
import { encodeTx, type Tx, txId } from "../../../src/core/tx.ts";
import { type Mempool, type MempoolAddedEvent, MempoolError } from "../../../src/mempool/index.ts";
import {
  alice,
  bob,
  CHAIN_ID,
  carol,
  codeOf,
  dave,
  MIN_FEE,
  newPool,
  otherGenesisHash,
  TestState,
  transfer,
} from "./fixtures.ts";

interface Case {
  name: string;
  /** Txs added first; each must be admitted. */
  before?: () => Tx[];
  input: () => Tx | Uint8Array;
  expected: string;
}

const signedBytes = () => encodeTx(transfer(alice, { nonce: 0 }));

// Head at height 10. alice: 1000 at nonce 0; bob: 1000 at nonce 5; carol: 150 at nonce 0; dave: empty.
const cases: Case[] = [
  { name: "alice, next nonce", input: () => transfer(alice, { nonce: 0 }), expected: "pending" },
  { name: "alice, as bytes", input: signedBytes, expected: "pending" },
  {
    name: "alice, future nonce within the gap",
    input: () => transfer(alice, { nonce: 3 }),
    expected: "queued",
  },
  { name: "alice, nonce at the gap limit", input: () => transfer(alice, { nonce: 8 }), expected: "queued" },
  { name: "truncated bytes", input: () => signedBytes().slice(0, 100), expected: "TX_MALFORMED" },
  {
    name: "trailing bytes",
    input: () => Uint8Array.from([...signedBytes(), 0]),
    expected: "TX_MALFORMED",
  },
  { name: "empty bytes", input: () => new Uint8Array(0), expected: "TX_MALFORMED" },
  {
    name: "object that cannot be encoded",
    input: () => ({ ...transfer(alice, { nonce: 0 }), from: new Uint8Array(3) }),
    expected: "TX_MALFORMED",
  },
  {
    name: "same tx twice",
    before: () => [transfer(alice, { nonce: 0 })],
    input: () => transfer(alice, { nonce: 0 }),
    expected: "MEMPOOL_ALREADY_KNOWN",
  },
  {
    name: "another chain id",
    input: () => transfer(alice, { nonce: 0, chainId: CHAIN_ID + 1 }),
    expected: "TX_WRONG_CHAIN",
  },
  {
    name: "signed for another genesis",
    input: () => transfer(alice, { nonce: 0 }, otherGenesisHash),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "amount changed after signing",
    input: () => ({ ...transfer(alice, { nonce: 0 }), amount: 99n }),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "signed by bob, claims alice",
    input: () => ({ ...transfer(bob, { nonce: 5 }), from: alice.keys.publicKey }),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "fee below minimum",
    input: () => transfer(alice, { nonce: 0, fee: MIN_FEE - 1n }),
    expected: "TX_FEE_TOO_LOW",
  },
  { name: "zero amount", input: () => transfer(alice, { nonce: 0, amount: 0n }), expected: "TX_ZERO_AMOUNT" },
  {
    name: "to self",
    input: () => transfer(alice, { nonce: 0, to: alice.address }),
    expected: "TX_SELF_TRANSFER",
  },
  {
    name: "expired at head",
    input: () => transfer(alice, { nonce: 0, expiresAt: 10 }),
    expected: "TX_EXPIRED",
  },
  {
    name: "expires at next block",
    input: () => transfer(alice, { nonce: 0, expiresAt: 11 }),
    expected: "pending",
  },
  { name: "bob, replayed nonce", input: () => transfer(bob, { nonce: 4 }), expected: "TX_NONCE_TOO_LOW" },
  { name: "bob, next nonce", input: () => transfer(bob, { nonce: 5 }), expected: "pending" },
  {
    name: "alice, beyond the gap",
    input: () => transfer(alice, { nonce: 9 }),
    expected: "MEMPOOL_NONCE_GAP",
  },
  { name: "dave, no funds", input: () => transfer(dave, { nonce: 0 }), expected: "TX_INSUFFICIENT_FUNDS" },
  {
    name: "carol, exactly her balance",
    input: () => transfer(carol, { nonce: 0, amount: 140n }),
    expected: "pending",
  },
  {
    name: "carol, second tx overspends",
    before: () => [transfer(carol, { nonce: 0, amount: 100n })],
    input: () => transfer(carol, { nonce: 1, amount: 31n }),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "carol, queued tx counts against the balance too",
    before: () => [transfer(carol, { nonce: 2, amount: 100n })],
    input: () => transfer(carol, { nonce: 0, amount: 31n }),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "alice, over the per-sender cap",
    before: () => [0, 1, 2].map((nonce) => transfer(alice, { nonce })),
    input: () => transfer(alice, { nonce: 3 }),
    expected: "MEMPOOL_SENDER_LIMIT",
  },
  {
    name: "pool full, fee not higher than the cheapest tail",
    before: () => [
      transfer(bob, { nonce: 5, fee: 20n }),
      ...[0, 1].map((n) => transfer(alice, { nonce: n })),
    ],
    input: () => transfer(carol, { nonce: 0, fee: MIN_FEE }),
    expected: "MEMPOOL_POOL_FULL",
  },
  {
    name: "check order: wrong chain wins over low nonce",
    input: () => transfer(bob, { nonce: 0, chainId: 99 }),
    expected: "TX_WRONG_CHAIN",
  },
  {
    name: "check order: expiry wins over low nonce",
    input: () => transfer(bob, { nonce: 0, expiresAt: 3 }),
    expected: "TX_EXPIRED",
  },
  {
    name: "check order: nonce gap wins over funds",
    input: () => transfer(dave, { nonce: 100 }),
    expected: "MEMPOOL_NONCE_GAP",
  },
];

function setup(): { state: TestState; pool: Mempool } {
  const state = new TestState().set(alice, 1000n).set(bob, 1000n, 5).set(carol, 150n);
  state.height = 10;
  return { state, pool: newPool(state, { maxTxs: 3, maxPerSender: 3, maxFutureGap: 8 }) };
}

function outcome(pool: Mempool, input: Tx | Uint8Array): string {
  try {
    return pool.add(input).status;
  } catch (err) {
    if (err instanceof TxError || err instanceof MempoolError) {
      expect(err.code.startsWith("MEMPOOL_")).toBe(err instanceof MempoolError);
      expect(err.message).not.toContain("\n");
      return err.code;
    }
    throw err;
  }
}

describe("mempool admission", () => {
  it.each(cases)("$name -> $expected", ({ before, input, expected }) => {
    const { pool } = setup();
    for (const tx of before?.() ?? []) pool.add(tx);
    expect(outcome(pool, input())).toBe(expected);
  });

  it("counts rejections by code", () => {
    const { pool } = setup();
    pool.add(transfer(alice, { nonce: 0 }));
    expect(codeOf(() => pool.add(transfer(alice, { nonce: 0 })))).toBe("MEMPOOL_ALREADY_KNOWN");
    expect(codeOf(() => pool.add(transfer(bob, { nonce: 1 })))).toBe("TX_NONCE_TOO_LOW");
    expect(codeOf(() => pool.add(transfer(bob, { nonce: 2 })))).toBe("TX_NONCE_TOO_LOW");
    expect(codeOf(() => pool.add(new Uint8Array(5)))).toBe("TX_MALFORMED");
    expect(pool.rejections()).toEqual({ MEMPOOL_ALREADY_KNOWN: 1, TX_NONCE_TOO_LOW: 2, TX_MALFORMED: 1 });
  });

  it("rejections carry structured fields", () => {
    const { pool } = setup();
    try {
      pool.add(transfer(bob, { nonce: 3 }));
      expect.unreachable();
    } catch (err) {
      expect((err as TxError).data).toEqual({ got: 3, expected: 5 });
    }
  });

  it("reports pending and queued txs through the queries", () => {
    const { pool } = setup();
    const t0 = transfer(alice, { nonce: 0 });
    const t2 = transfer(alice, { nonce: 2 });
    const b5 = transfer(bob, { nonce: 5 });
    for (const tx of [t2, t0, b5]) pool.add(tx);
    expect(pool.size).toBe(3);
    expect(pool.has(txId(t0))).toBe(true);
    expect(pool.get(txId(t2))?.nonce).toBe(2);
    expect(pool.get(txId(transfer(alice, { nonce: 1 })))).toBeUndefined();
    const bytes = [t0, t2, b5].reduce((n, tx) => n + encodeTx(tx).length, 0);
    const queuedBytes = encodeTx(t2).length;
    expect(pool.status()).toEqual({
      pending: 2,
      queued: 1,
      bytes,
      queuedBytes,
      senders: 2,
      signatureChecks: 3,
    });
    expect(pool.pendingFor(alice.address).map((tx) => tx.nonce)).toEqual([0, 2]);
    expect(pool.pendingFor(carol.address)).toEqual([]);
    expect(pool.pendingNonce(alice.address)).toBe(1);
    expect(pool.pendingNonce(bob.address)).toBe(6);
    expect(pool.pendingNonce(dave.address)).toBe(0);
  });

  it("keeps a private copy of an object input", () => {
    const { pool } = setup();
    const tx = transfer(alice, { nonce: 0 });
    const { id } = pool.add(tx);
    tx.amount = 1n;
    tx.signature.fill(0);
    expect(pool.get(id)?.amount).toBe(100n);
    expect(toHex(id)).toBe(toHex(txId(pool.get(id)!)));
  });

  it("emits newly admitted txs until unsubscribed", () => {
    const { pool } = setup();
    const events: MempoolAddedEvent[] = [];
    const off = pool.onAdded((e) => events.push(e));
    pool.onAdded(() => {
      throw new Error("a broken listener does not break admission");
    });
    const t1 = transfer(alice, { nonce: 1 });
    pool.add(t1);
    expect(codeOf(() => pool.add(t1))).toBe("MEMPOOL_ALREADY_KNOWN");
    off();
    pool.add(transfer(alice, { nonce: 0 }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "queued", reinjected: false, tx: { nonce: 1 } });
    expect(toHex(events[0]!.id)).toBe(toHex(txId(t1)));
  });
});
