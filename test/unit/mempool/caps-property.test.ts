import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeTx, type Tx, txId } from "../../../src/core/tx.ts";
import type { Mempool } from "../../../src/mempool/index.ts";
import { codeOf, makeActor, newPool, TestState, transfer } from "./fixtures.ts";

const CAPS = { maxTxs: 12, maxBytes: 1500, maxQueued: 4, maxQueuedBytes: 700, queuedTtlMs: 5000 };
// Five funded senders and one with nothing: the pool sees gaps, replacements, unfunded txs and memos.
const actors = Array.from({ length: 6 }, (_, i) => makeActor(`p${i}`));

type Op =
  | { kind: "add"; who: number; offset: number; fee: number; memo: number }
  | { kind: "mine"; count: number }
  | { kind: "tick"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      who: fc.nat(5),
      offset: fc.integer({ min: -1, max: 4 }),
      fee: fc.integer({ min: 10, max: 80 }),
      memo: fc.constantFrom(0, 0, 120, 256),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("mine" as const), count: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.nat(3000) }) },
);

/** Ids of the pending txs: each sender's run contiguous from its account nonce. */
function pendingIds(pool: Mempool, state: TestState): Map<string, Tx> {
  const out = new Map<string, Tx>();
  for (const a of actors) {
    let next = state.getAccount(a.address).nonce;
    for (const tx of pool.pendingFor(a.address)) {
      if (tx.nonce !== next) break;
      out.set(Buffer.from(txId(tx)).toString("hex"), tx);
      next++;
    }
  }
  return out;
}

function verifyCaps(pool: Mempool, state: TestState): void {
  const s = pool.status();
  const all = actors.flatMap((a) => pool.pendingFor(a.address));
  const pending = pendingIds(pool, state);
  const queued = all.filter((tx) => !pending.has(Buffer.from(txId(tx)).toString("hex")));
  const size = (txs: Tx[]) => txs.reduce((n, tx) => n + encodeTx(tx).length, 0);
  expect({ pending: s.pending, queued: s.queued, bytes: s.bytes, queuedBytes: s.queuedBytes }).toEqual({
    pending: pending.size,
    queued: queued.length,
    bytes: size(all),
    queuedBytes: size(queued),
  });
  expect(s.pending + s.queued).toBeLessThanOrEqual(CAPS.maxTxs);
  expect(s.bytes).toBeLessThanOrEqual(CAPS.maxBytes);
  expect(s.queued).toBeLessThanOrEqual(CAPS.maxQueued);
  expect(s.queuedBytes).toBeLessThanOrEqual(CAPS.maxQueuedBytes);
}

describe("pool caps (property)", () => {
  it("caps are never exceeded and no queued admission ever evicts a pending tx", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const state = new TestState();
        for (const a of actors.slice(0, 5)) state.set(a, 1_000_000n);
        const pool = newPool(state, CAPS);
        for (const op of ops) {
          if (op.kind === "tick") {
            state.time += op.ms;
            continue;
          }
          if (op.kind === "mine") {
            const txs = pool.selectForBlock({ maxTxs: op.count, height: state.height + 1 });
            pool.onHeadChanged({ connected: [state.mine(txs)], disconnected: [] });
            verifyCaps(pool, state);
            continue;
          }
          const who = actors[op.who]!;
          const base = op.offset < 0 ? state.getAccount(who.address).nonce : pool.pendingNonce(who.address);
          const tx = transfer(who, {
            nonce: Math.max(0, base + op.offset),
            fee: BigInt(op.fee),
            payload: new Uint8Array(op.memo),
          });
          const before = pendingIds(pool, state);
          let status: string = "rejected";
          codeOf(() => {
            status = pool.add(tx).status;
          });
          verifyCaps(pool, state);
          const lost = [...before].filter(([id]) => !pool.has(Buffer.from(id, "hex")));
          if (status !== "pending") {
            // A queued or refused tx leaves every pending tx in place (a replacement is pending).
            expect(lost).toEqual([]);
          } else {
            // A pending tx evicts only pending txs that pay less (or the one it replaced, same nonce).
            for (const [, gone] of lost) {
              const replaced = Buffer.compare(gone.from, tx.from) === 0 && gone.nonce === tx.nonce;
              expect(replaced || gone.fee < tx.fee).toBe(true);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
