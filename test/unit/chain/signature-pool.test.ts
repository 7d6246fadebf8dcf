/**
 * Block import with signatures verified on the worker pool: the same verdicts and error codes as
 * verification in the calling thread, the first bad signature named, and the pool's workers
 * stopped with the node.
 */
import { describe, expect, it } from "vitest";
import type { Chain } from "../../../src/chain/chain.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import { BlockError } from "../../../src/core/errors.ts";
import { merkleRoot } from "../../../src/core/merkle.ts";
import { encodeTx } from "../../../src/core/tx.ts";
import { createVerifyPool, type VerifyPool } from "../../../src/crypto/verify-pool.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { ChainlabNode } from "../../../src/node/node.ts";
import { cleanupAfterEach, mineOn, openChain, resealed } from "../../helpers/chain.ts";
import { actor, easyGenesis, tempDir, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const genesis = easyGenesis([alice, bob]);
const TXS = 64;

/** A valid block of TXS transfers on the chain's head. */
function fullBlock(chain: Chain): Block {
  const txs = Array.from({ length: TXS }, (_, nonce) => transfer(alice, bob, chain.genesisHash, { nonce }));
  return mineOn(chain, { txs });
}

/** `block` with the signatures of the txs at `indexes` swapped for another tx's (well formed, wrong). */
function withBadSignatures(block: Block, indexes: number[]): Block {
  const txs = block.txs.map((tx, i) =>
    indexes.includes(i) ? { ...tx, signature: block.txs[(i + 1) % block.txs.length]!.signature } : tx,
  );
  return resealed({ ...block, txs }, () => ({ txRoot: merkleRoot(txs.map(encodeTx)) }));
}

async function refusal(chain: Chain, block: Block): Promise<BlockError> {
  const err = await chain.importBlock(block).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BlockError);
  return err as BlockError;
}

describe("block import with the signature pool", () => {
  const defer = cleanupAfterEach();

  it("refuses a block with one bad signature among many with the same typed error as in-thread verification", async () => {
    const pool = createVerifyPool({ threads: 2, inlineBelow: 4 });
    defer(() => pool.close());
    const pooled = (await openChain(genesis, defer, { verifier: pool })).chain;
    const inThread = (await openChain(genesis, defer)).chain;
    const bad = withBadSignatures(fullBlock(pooled), [37]);
    const a = await refusal(pooled, bad);
    const b = await refusal(inThread, bad);
    expect(a.code).toBe("BLOCK_BAD_TX");
    expect(a.data).toEqual({ index: 37, reason: "TX_BAD_SIGNATURE" });
    expect({ code: b.code, data: b.data, message: b.message }).toEqual({
      code: a.code,
      data: a.data,
      message: a.message,
    });
    expect(pool.stats().onWorkers).toBe(TXS);
    // The bad block is remembered as invalid; the honest one still imports as the head.
    expect(pooled.isKnownInvalid(headerHash(bad.header))).toBe(true);
    const good = fullBlock(pooled);
    expect((await pooled.importBlock(good)).status).toBe("head");
    expect(pooled.head().header.height).toBe(1);
    expect(pooled.getAccount(alice.addressBytes).nonce).toBe(TXS);
  });

  it("names the first bad signature when several fail", async () => {
    const pool = createVerifyPool({ threads: 2, inlineBelow: 4 });
    defer(() => pool.close());
    const { chain } = await openChain(genesis, defer, { verifier: pool });
    const err = await refusal(chain, withBadSignatures(fullBlock(chain), [50, 9, 63]));
    expect(err.data).toEqual({ index: 9, reason: "TX_BAD_SIGNATURE" });
    expect(chain.head().header.height).toBe(0);
  });

  it("a node's own pool starts workers on import and stops them with the node; a shared pool is left running", async () => {
    const dir = await tempDir();
    defer(dir.cleanup);
    const node = await ChainlabNode.open(
      { dataDir: `${dir.path}/own`, genesis, verify: { threads: 2 } },
      silentLogger(),
    );
    const own = node.chain.verifier as VerifyPool;
    expect(own.stats().running).toBe(0);
    expect((await node.importBlock(fullBlock(node.chain))).status).toBe("head");
    expect(own.stats()).toMatchObject({ running: 2, onWorkers: TXS });
    await node.stop();
    expect(own.stats().running).toBe(0);

    const shared = createVerifyPool({ threads: 1, inlineBelow: 1 });
    defer(() => shared.close());
    const other = await ChainlabNode.open(
      { dataDir: `${dir.path}/shared`, genesis, verify: { pool: shared } },
      silentLogger(),
    );
    expect((await other.importBlock(fullBlock(other.chain))).status).toBe("head");
    await other.stop();
    expect(shared.stats()).toMatchObject({ running: 1, onWorkers: TXS });
  });
});
