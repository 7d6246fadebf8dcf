import { describe, expect, it } from "vitest";
import { TxError } from "../../../src/core/errors.ts";
import { decodeTx, encodeTx } from "../../../src/core/tx.ts";
import { MempoolError } from "../../../src/mempool/index.ts";
import { ChainTopics } from "../../../src/p2p/chain-topics.ts";
import { IgnoreThrottle } from "../../../src/p2p/ignore-throttle.ts";
import type { P2PNode } from "../../../src/p2p/node-port.ts";
import { decodeTxBatch, encodeTxBatch } from "../../../src/p2p/tx-batch.ts";
import { actor, transfer } from "../../helpers/fixtures.ts";

const funded = actor("funded");
const unfunded = actor("unfunded");
const to = actor("sink");
const genesis = new Uint8Array(32);

/** A node whose mempool admits `funded`'s txs, knows nonce 99, and IGNOREs everyone else's. */
function fakeNode() {
  const submitted: Uint8Array[] = [];
  const node = {
    mempool: { onAdded: () => () => {} },
    onBlockImported: () => () => {},
    submitTx: (input: Uint8Array) => {
      submitted.push(input);
      const tx = decodeTx(input);
      if (tx.nonce === 99) throw new MempoolError("MEMPOOL_ALREADY_KNOWN", "known");
      if (Buffer.compare(tx.from, funded.publicKey) !== 0)
        throw new TxError("TX_INSUFFICIENT_FUNDS", "no funds");
      return { id: new Uint8Array(32), status: "pending" as const };
    },
  } as unknown as P2PNode;
  return { node, submitted };
}

const batchOf = (who: typeof funded, nonces: number[]) =>
  encodeTxBatch(nonces.map((nonce) => encodeTx(transfer(who, to, genesis, { nonce }))));

function setup() {
  const { node, submitted } = fakeNode();
  const throttle = new IgnoreThrottle({ limit: 8, penalizeEvery: 2, now: () => 0 });
  const topics = new ChainTopics(node, throttle);
  const published: Uint8Array[][] = [];
  topics.relay(
    () => {},
    (b) => published.push(decodeTxBatch(b)),
  );
  return { topics, submitted, published };
}

describe("txs topic against unfunded floods", () => {
  it("throttles a peer past the limit: its batches are skipped undecoded, then REJECTed", () => {
    const { topics, submitted } = setup();
    const flood = batchOf(unfunded, [0, 1, 2, 3]);
    expect(topics.validateTx(flood, "mallory")).toEqual({
      verdict: "ignore",
      reason: "TX_INSUFFICIENT_FUNDS",
    });
    expect(topics.validateTx(flood, "mallory").verdict).toBe("ignore");
    const seen = submitted.length;
    expect(topics.validateTx(flood, "mallory")).toEqual({ verdict: "ignore", reason: "TX_THROTTLED" });
    expect(topics.validateTx(flood, "mallory")).toEqual({ verdict: "reject", reason: "TX_IGNORE_FLOOD" });
    expect(submitted.length).toBe(seen);
    // Another peer is not affected.
    expect(topics.validateTx(batchOf(funded, [0]), "honest").verdict).toBe("accept");
  });

  it("duplicates do not count toward the throttle", () => {
    const { topics } = setup();
    for (let i = 0; i < 10; i++) {
      expect(topics.validateTx(batchOf(funded, [99, 99, 99]), "relayer").reason).toBe(
        "MEMPOOL_ALREADY_KNOWN",
      );
    }
    expect(topics.validateTx(batchOf(funded, [1]), "relayer").verdict).toBe("accept");
  });

  it("a batch mixing admitted and IGNOREd txs is not relayed; only the admitted txs are re-batched", () => {
    const { topics, published } = setup();
    const mixed = encodeTxBatch([
      encodeTx(transfer(unfunded, to, genesis, { nonce: 0 })),
      encodeTx(transfer(funded, to, genesis, { nonce: 0 })),
    ]);
    expect(topics.validateTx(mixed, "peer").verdict).toBe("ignore");
    topics.flushTxs();
    expect(published.map((b) => b.map((t) => decodeTx(t).from))).toEqual([[funded.publicKey]]);
  });
});
