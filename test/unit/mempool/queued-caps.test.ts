import { describe, expect, it } from "vitest";
import { type Tx, txId } from "../../../src/core/tx.ts";
import type { MempoolOptions } from "../../../src/mempool/index.ts";
import {
  alice,
  bob,
  carol,
  codeOf,
  dave,
  makeActor,
  makeBlock,
  newPool,
  TestState,
  transfer,
} from "./fixtures.ts";

/** Sends txs beyond a nonce gap: they can never be mined as they stand. */
const mallory = makeActor("mallory");

interface Case {
  name: string;
  options?: Partial<MempoolOptions>;
  /** Admitted first, in order; each must be admitted. */
  before: () => Tx[];
  input: () => Tx;
  /** "pending", "queued" or an error code. */
  expected: string;
  /** Txs of `before` (by index) that must have left the pool afterwards. */
  evicted?: number[];
}

// Pool of 4 txs with room for 2 queued; everyone is funded at nonce 0.
const cases: Case[] = [
  {
    name: "mallory fills the queue: her next gap tx is refused",
    before: () => [transfer(mallory, { nonce: 2 }), transfer(mallory, { nonce: 3 })],
    input: () => transfer(mallory, { nonce: 4 }),
    expected: "MEMPOOL_POOL_FULL",
  },
  {
    name: "carol's queued tx outbids mallory's queued tail and takes its place",
    before: () => [transfer(mallory, { nonce: 2 }), transfer(mallory, { nonce: 3 })],
    input: () => transfer(carol, { nonce: 5, fee: 50n }),
    expected: "queued",
    evicted: [1],
  },
  {
    name: "a queued tx at a full pool of pending txs never evicts one, whatever it pays",
    before: () => [alice, bob, carol, dave].map((a) => transfer(a, { nonce: 0 })),
    input: () => transfer(mallory, { nonce: 2, fee: 1_000n }),
    expected: "MEMPOOL_POOL_FULL",
  },
  {
    name: "a pending tx evicts a queued one first, even one that pays far more",
    before: () => [
      transfer(alice, { nonce: 0, fee: 50n }),
      transfer(bob, { nonce: 0, fee: 50n }),
      transfer(mallory, { nonce: 2, fee: 1_000n }),
      transfer(mallory, { nonce: 3, fee: 900n }),
    ],
    input: () => transfer(carol, { nonce: 0 }),
    expected: "pending",
    evicted: [3],
  },
  {
    name: "with nothing queued a pending tx must outbid the cheapest pending tail",
    before: () => [alice, bob, carol, dave].map((a, i) => transfer(a, { nonce: 0, fee: 20n + BigInt(i) })),
    input: () => transfer(mallory, { nonce: 0, fee: 20n }),
    expected: "MEMPOOL_POOL_FULL",
  },
  {
    name: "a pending tx that outbids the cheapest pending tail evicts it",
    before: () => [alice, bob, carol, dave].map((a, i) => transfer(a, { nonce: 0, fee: 20n + BigInt(i) })),
    input: () => transfer(mallory, { nonce: 0, fee: 21n }),
    expected: "pending",
    evicted: [0],
  },
  {
    name: "the queued byte cap refuses a large gap tx while count room is left",
    options: { maxQueuedBytes: 400 },
    before: () => [transfer(mallory, { nonce: 2 })],
    input: () => transfer(mallory, { nonce: 3, payload: new Uint8Array(200) }),
    expected: "MEMPOOL_POOL_FULL",
  },
  {
    name: "the pool byte cap makes a pending tx evict queued txs until it fits",
    options: { maxBytes: 700, maxQueuedBytes: 700 },
    before: () => [
      transfer(alice, { nonce: 0 }),
      transfer(mallory, { nonce: 2 }),
      transfer(mallory, { nonce: 3 }),
    ],
    input: () => transfer(bob, { nonce: 0, payload: new Uint8Array(250) }),
    expected: "pending",
    evicted: [1, 2],
  },
  {
    name: "a pending tx that fills mallory's gap promotes her queued txs without evicting",
    before: () => [
      transfer(alice, { nonce: 0 }),
      transfer(mallory, { nonce: 1 }),
      transfer(mallory, { nonce: 2 }),
    ],
    input: () => transfer(mallory, { nonce: 0 }),
    expected: "pending",
  },
];

describe("pending and queued caps", () => {
  it.each(cases)("$name -> $expected", ({ options, before, input, expected, evicted = [] }) => {
    const state = new TestState();
    for (const a of [alice, bob, carol, dave, mallory]) state.set(a, 100_000n);
    const pool = newPool(state, { maxTxs: 4, maxQueued: 2, ...options });
    const held = before();
    for (const tx of held) pool.add(tx);
    let got = "";
    const code = codeOf(() => {
      got = pool.add(input()).status;
    });
    expect(code === "OK" ? got : code).toBe(expected);
    const gone = held.flatMap((tx, i) => (pool.has(txId(tx)) ? [] : [i]));
    expect(gone).toEqual(evicted);
    const s = pool.status();
    expect(s.pending + s.queued).toBeLessThanOrEqual(4);
    expect(s.queued).toBeLessThanOrEqual(2);
  });

  it("a flood of gap txs from many keys cannot lock the pool against executable txs", () => {
    const state = new TestState();
    const flooders = Array.from({ length: 40 }, (_, i) => makeActor(`flooder${i}`));
    const honest = Array.from({ length: 50 }, (_, i) => makeActor(`honest${i}`));
    for (const a of [...flooders, ...honest]) state.set(a, 100_000n);
    const pool = newPool(state, { maxTxs: 50, maxQueued: 10 });
    for (const f of flooders) {
      for (const nonce of [1, 2, 3]) codeOf(() => pool.add(transfer(f, { nonce, fee: 5_000n })));
    }
    expect(pool.status()).toMatchObject({ pending: 0, queued: 10 });
    for (const h of honest) expect(pool.add(transfer(h, { nonce: 0 })).status).toBe("pending");
    expect(pool.status()).toMatchObject({ pending: 50, queued: 0 });
  });
});

describe("queued time to live", () => {
  function setup() {
    const state = new TestState().set(alice, 10_000n).set(mallory, 10_000n).set(bob, 10_000n);
    return { state, pool: newPool(state, { queuedTtlMs: 60_000 }) };
  }

  it("drops a queued tx older than the TTL at the next admission a sweep runs (at most 1 s later)", () => {
    const { state, pool } = setup();
    const gap = transfer(mallory, { nonce: 3 });
    const a0 = transfer(alice, { nonce: 0 });
    pool.add(gap);
    pool.add(a0);
    state.time = 60_000;
    pool.add(transfer(bob, { nonce: 0 }));
    expect(pool.has(txId(gap))).toBe(true);
    state.time = 60_500;
    pool.add(transfer(bob, { nonce: 1 }));
    expect(pool.has(txId(gap))).toBe(true);
    state.time = 61_000;
    pool.add(transfer(bob, { nonce: 2 }));
    expect(pool.has(txId(gap))).toBe(false);
    expect(pool.has(txId(a0))).toBe(true);
    expect(pool.removals()).toEqual({ queued_timeout: 1 });
  });

  it("drops expired queued txs on a head change", () => {
    const { state, pool } = setup();
    pool.add(transfer(mallory, { nonce: 3 }));
    state.time = 120_000;
    pool.onHeadChanged({ connected: [makeBlock(1, [])], disconnected: [] });
    expect(pool.status()).toMatchObject({ pending: 0, queued: 0, queuedBytes: 0 });
  });

  it("a tx promoted to pending before its TTL is no longer subject to it", () => {
    const { state, pool } = setup();
    const m1 = transfer(mallory, { nonce: 1 });
    pool.add(m1);
    pool.add(transfer(mallory, { nonce: 0 }));
    state.time = 10 * 60_000;
    pool.add(transfer(bob, { nonce: 0 }));
    expect(pool.has(txId(m1))).toBe(true);
  });
});
