import { describe, expect, it, vi } from "vitest";
import type { ImportResult } from "../../../src/chain/chain.ts";
import { ConsensusError } from "../../../src/consensus/engine.ts";
import { type Block, encodeBlock, headerHash } from "../../../src/core/block.ts";
import { BlockError, TxError } from "../../../src/core/errors.ts";
import { encodeTx, type Tx } from "../../../src/core/tx.ts";
import type { MempoolAddedEvent } from "../../../src/mempool/index.ts";
import { MempoolError } from "../../../src/mempool/index.ts";
import { ChainTopics } from "../../../src/p2p/chain-topics.ts";
import type { P2PNode } from "../../../src/p2p/node-port.ts";
import { encodeTxBatch } from "../../../src/p2p/tx-batch.ts";
import { StorageError } from "../../../src/storage/errors.ts";
import { actor, transfer } from "../../helpers/fixtures.ts";

const block: Block = {
  header: {
    version: 1,
    height: 5,
    parentHash: new Uint8Array(32).fill(1),
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    beneficiary: new Uint8Array(20),
    timestamp: 1,
    engine: new Uint8Array(16),
  },
  txs: [],
  engineBody: new Uint8Array(0),
};
const tx = transfer(actor("a"), actor("b"), new Uint8Array(32), { nonce: 0 });

/** A node double whose import and admission outcomes the test chooses. */
function fakeNode(outcome: { importBlock?: () => ImportResult; submitTx?: () => void }) {
  const blockListeners: ((b: Block, r: ImportResult) => void)[] = [];
  const txListeners: ((e: MempoolAddedEvent) => void)[] = [];
  const node: P2PNode = {
    chain: {
      genesisHash: new Uint8Array(32),
      view: { getMeta: () => undefined } as unknown as P2PNode["chain"]["view"],
      head: () => ({ hash: new Uint8Array(32), header: block.header, engineMeta: new Uint8Array(0) }),
      finalized: () => ({ height: 0, hash: new Uint8Array(32) }),
      weightOf: (m) => m.engineMeta,
      status: () => ({
        headHash: new Uint8Array(32),
        headHeight: 0,
        finalized: { height: 0, hash: new Uint8Array(32) },
        weight: new Uint8Array(0),
      }),
      getBlockBytes: async () => undefined,
      hasBlock: () => false,
      onHeadChange: () => () => {},
    },
    mempool: {
      onAdded: (l) => {
        txListeners.push(l);
        return () => {};
      },
    },
    engine: { isAhead: () => false, topics: () => [] },
    outbound: { attach: () => {}, publish: async () => {}, relayAction: async () => "relay" },
    importBlock: async (b) => {
      const r = outcome.importBlock!();
      if (r.status === "head" || r.status === "side") for (const l of blockListeners) l(b, r);
      return r;
    },
    onBlockImported: (l) => {
      blockListeners.push(l);
      return () => {};
    },
    submitTx: (input) => {
      outcome.submitTx?.();
      for (const l of txListeners)
        l({ id: new Uint8Array(32), status: "pending", tx: input as Tx, reinjected: false });
      return { id: new Uint8Array(32), status: "pending" };
    },
  };
  return { node, blockListeners, txListeners };
}

const result = (status: ImportResult["status"]): ImportResult => ({
  status,
  hash: headerHash(block.header),
  height: 5,
  ...(status === "orphan" ? { missingParent: block.header.parentHash } : {}),
});

describe("block topic verdicts", () => {
  it.each([
    ["head", "accept"],
    ["side", "accept"],
    ["duplicate", "ignore"],
    ["orphan", "ignore"],
  ] as const)("an import as %s is %s", async (status, verdict) => {
    const { node } = fakeNode({ importBlock: () => result(status) });
    const orphans: string[] = [];
    const v = await new ChainTopics(node).validateBlock(encodeBlock(block), "peer", (p) => orphans.push(p));
    expect(v.verdict).toBe(verdict);
    expect(orphans).toEqual(status === "orphan" ? ["peer"] : []);
  });

  it.each([
    [new ConsensusError("BLOCK_BAD_SEAL", "x"), "reject"],
    [new BlockError("BLOCK_BAD_STATE_ROOT", "x"), "reject"],
    [new ConsensusError("BLOCK_TIMESTAMP_IN_FUTURE", "x"), "ignore"],
    [new ConsensusError("BLOCK_LOW_WORK_FORK", "x"), "ignore"],
    [new ConsensusError("BLOCK_NOT_FINALIZED_DESCENDANT", "x"), "ignore"],
    [new ConsensusError("BLOCK_BODY_MISMATCH", "x"), "reject"],
    [new BlockError("BLOCK_ORPHAN_POOL_FULL", "x"), "ignore"],
    [new StorageError("STORAGE_CORRUPT", "our own disk"), "ignore"],
  ] as const)("a typed import error %s is %s", async (err, verdict) => {
    const { node } = fakeNode({
      importBlock: () => {
        throw err;
      },
    });
    const v = await new ChainTopics(node).validateBlock(encodeBlock(block), "peer", () => {});
    expect(v).toEqual({ verdict, reason: err.code });
  });

  it("a stream of blameless refusals from one peer is throttled, then rejected", async () => {
    const { node } = fakeNode({
      importBlock: () => {
        throw new ConsensusError("BLOCK_LOW_WORK_FORK", "x");
      },
    });
    const topics = new ChainTopics(node);
    const reasons: string[] = [];
    for (let i = 0; i < 264; i++)
      reasons.push((await topics.validateBlock(encodeBlock(block), "flooder", () => {})).reason);
    const other = await topics.validateBlock(encodeBlock(block), "honest", () => {});
    const tail = reasons.slice(258);
    expect([
      reasons.slice(0, 256).every((r) => r === "BLOCK_LOW_WORK_FORK"),
      tail.includes("throttled"),
      tail.includes("BLOCK_IGNORE_FLOOD"),
      other.reason,
    ]).toEqual([true, true, true, "BLOCK_LOW_WORK_FORK"]);
  });

  it("garbage is rejected with its decode error", async () => {
    const { node } = fakeNode({ importBlock: () => result("head") });
    const v = await new ChainTopics(node).validateBlock(Uint8Array.of(1, 2, 3), "peer", () => {});
    expect(v.verdict).toBe("reject");
    expect(v.reason).toMatch(/^DECODE_/);
  });

  it("an untyped failure is ours, not the peer's: it propagates to the router (which ignores it)", async () => {
    const { node } = fakeNode({
      importBlock: () => {
        throw new Error("disk full");
      },
    });
    await expect(new ChainTopics(node).validateBlock(encodeBlock(block), "peer", () => {})).rejects.toThrow(
      "disk full",
    );
  });
});

describe("tx topic verdicts", () => {
  it.each([
    [undefined, "accept"],
    [new MempoolError("MEMPOOL_ALREADY_KNOWN", "x"), "ignore"],
    [new MempoolError("MEMPOOL_POOL_FULL", "x"), "ignore"],
    [new TxError("TX_NONCE_TOO_LOW", "x"), "ignore"],
    [new TxError("TX_INSUFFICIENT_FUNDS", "x"), "ignore"],
    [new TxError("TX_BAD_SIGNATURE", "x"), "reject"],
    [new TxError("TX_WRONG_CHAIN", "x"), "reject"],
  ] as const)("admission failing with %s is %s", (err, verdict) => {
    const { node } = fakeNode({
      submitTx: () => {
        if (err) throw err;
      },
    });
    expect(new ChainTopics(node).validateTx(encodeTxBatch([encodeTx(tx)])).verdict).toBe(verdict);
  });

  it("a batch is rejected when any tx in it is invalid anywhere, even after others were admitted", () => {
    let calls = 0;
    const { node } = fakeNode({
      submitTx: () => {
        if (calls++ === 1) throw new TxError("TX_BAD_SIGNATURE", "x");
      },
    });
    const batch = encodeTxBatch([encodeTx(tx), encodeTx(tx), encodeTx(tx)]);
    expect(new ChainTopics(node).validateTx(batch).verdict).toBe("reject");
  });

  it("a batch of txs we all know is ignored, one with a new tx is accepted", () => {
    let known = true;
    const { node } = fakeNode({
      submitTx: () => {
        if (known) throw new MempoolError("MEMPOOL_ALREADY_KNOWN", "x");
      },
    });
    const topics = new ChainTopics(node);
    expect(topics.validateTx(encodeTxBatch([encodeTx(tx), encodeTx(tx)])).verdict).toBe("ignore");
    known = false;
    expect(topics.validateTx(encodeTxBatch([encodeTx(tx)])).verdict).toBe("accept");
  });

  it("a single raw tx (not a batch) is malformed", () => {
    const { node } = fakeNode({ submitTx: () => {} });
    expect(new ChainTopics(node).validateTx(encodeTx(tx)).verdict).toBe("reject");
  });
});

describe("relay", () => {
  it("publishes local blocks and txs (batched), never ones that came from the network", async () => {
    vi.useFakeTimers();
    const { node, txListeners } = fakeNode({ importBlock: () => result("head") });
    const topics = new ChainTopics(node);
    const blocks: Uint8Array[] = [];
    const txs: Uint8Array[] = [];
    topics.relay(
      (b) => blocks.push(b),
      (t) => txs.push(t),
    );
    await topics.validateBlock(encodeBlock(block), "peer", () => {});
    topics.validateTx(encodeTxBatch([encodeTx(tx)]));
    vi.advanceTimersByTime(100);
    expect(blocks).toEqual([]);
    expect(txs).toEqual([]);
    await node.importBlock(block, { kind: "local" });
    node.submitTx(tx);
    for (const l of txListeners) l({ id: new Uint8Array(32), status: "pending", tx, reinjected: true });
    vi.advanceTimersByTime(100);
    vi.useRealTimers();
    expect(blocks).toEqual([encodeBlock(block)]);
    expect(txs).toEqual([encodeTxBatch([encodeTx(tx)])]);
  });
});
