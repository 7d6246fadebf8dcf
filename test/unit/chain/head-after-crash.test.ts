/**
 * A crash between a block's import batch (block, meta, undo) and the head batch (canonical index,
 * state, head pointer) leaves a stored, executed block that is not the head. Opening must ask the
 * restored fork choice and move there, at a consistent state.
 */
import { describe, expect, it } from "vitest";
import { headerHash } from "../../../src/core/block.ts";
import { toHex } from "../../../src/core/hash.ts";
import { blockKey, metaKey, undoKey } from "../../../src/storage/schema.ts";
import { cleanupAfterEach, extend, mineOn, openChain, stateSnapshot } from "../../helpers/chain.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const genesis = easyGenesis([alice, bob]);

describe("a crash between a block's import and the head update", () => {
  const defer = cleanupAfterEach();

  it("reopens at the block the fork choice picks, with the state it implies", async () => {
    const victim = await openChain(genesis, defer);
    const twin = await openChain(genesis, defer);
    const blocks = await extend(twin.chain, 2);
    for (const b of blocks) await victim.chain.importBlock(b);
    // The next block, fully imported on the twin; only its import batch reaches the victim's disk.
    const next = mineOn(twin.chain, { txs: [transfer(alice, bob, twin.chain.genesisHash, { nonce: 0 })] });
    await twin.chain.importBlock(next);
    const h = headerHash(next.header);
    const importBatch = await Promise.all(
      [blockKey(h), metaKey(h), undoKey(h)].map((k) => twin.chain.store.db.get(k)),
    );
    await victim.close();
    const db = (await openChain(genesis, defer, { path: victim.path })).chain.store.db;
    await db.batch(
      [blockKey(h), metaKey(h), undoKey(h)].map((key, i) => ({
        type: "put" as const,
        key,
        value: importBatch[i]!,
      })),
    );
    await db.close();

    const reopened = await openChain(genesis, defer, { path: victim.path });
    expect([
      toHex(reopened.chain.head().hash),
      toHex(reopened.chain.stateRoot()),
      stateSnapshot(reopened.chain),
      reopened.chain.getAccount(bob.addressBytes).balance,
    ]).toEqual([toHex(h), toHex(twin.chain.stateRoot()), stateSnapshot(twin.chain), 1_000_000_010n]);
  });
});
