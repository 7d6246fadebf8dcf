import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GenesisError } from "../../../src/core/errors.ts";
import { toHex } from "../../../src/core/hash.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { ChainlabNode } from "../../../src/node/node.ts";
import { type ChainDb, openChainDb } from "../../../src/storage/chain-store.ts";
import { StorageError } from "../../../src/storage/errors.ts";
import { canonicalKey, headKey, stateKey } from "../../../src/storage/schema.ts";
import { cleanupAfterEach, extend, openChain } from "../../helpers/chain.ts";
import { actor, easyGenesis, tempDir, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const genesis = easyGenesis([alice]);
const otherGenesis = easyGenesis([alice], { chainId: 4242 });

describe("opening a chain database", () => {
  const defer = cleanupAfterEach();

  /** A chain with three blocks and a transfer, closed; returns its path. */
  async function closedChain(): Promise<string> {
    const c = await openChain(genesis, defer);
    await extend(c.chain, 3, [[transfer(alice, bob, c.chain.genesisHash, { nonce: 0 })]]);
    await c.close();
    return c.path;
  }

  async function openError(path: string, g = genesis): Promise<unknown> {
    return openChain(g, defer, { path }).then(
      () => "opened",
      (err: unknown) => err,
    );
  }

  it("writes genesis on first use and opens at height 0", async () => {
    const c = await openChain(genesis, defer);
    expect(c.chain.head().header.height).toBe(0);
  });

  it("refuses a different genesis with GENESIS_MISMATCH", async () => {
    const err = await openError(await closedChain(), otherGenesis);
    expect([err instanceof GenesisError, (err as GenesisError).code]).toEqual([true, "GENESIS_MISMATCH"]);
  });

  it("still opens with the right genesis after a refused one", async () => {
    const path = await closedChain();
    await openError(path, otherGenesis);
    expect((await openChain(genesis, defer, { path })).chain.head().header.height).toBe(3);
  });

  it("reports a missing head record as STORAGE_CORRUPT", async () => {
    const path = await closedChain();
    await tamper(path, async (db) => db.del(headKey()));
    const err = await openError(path);
    expect([err instanceof StorageError, (err as StorageError).code]).toEqual([true, "STORAGE_CORRUPT"]);
  });

  it("reports a canonical index that does not reach the head as STORAGE_CORRUPT", async () => {
    const path = await closedChain();
    await tamper(path, async (db) => db.del(canonicalKey(2)));
    expect(await openError(path)).toMatchObject({ code: "STORAGE_CORRUPT" });
  });

  it("reports a canonical entry that is not the head's ancestor as STORAGE_CORRUPT", async () => {
    const path = await closedChain();
    await tamper(path, async (db) => db.put(canonicalKey(1), new Uint8Array(32).fill(1)));
    expect(await openError(path)).toMatchObject({ code: "STORAGE_CORRUPT" });
  });

  it("reports an accumulator that does not match the head's state root as STORAGE_CORRUPT", async () => {
    const path = await closedChain();
    await tamper(path, async (db) => {
      const head = (await db.get(headKey()))!;
      head[40]! ^= 1;
      await db.put(headKey(), head);
    });
    expect(await openError(path)).toMatchObject({ code: "STORAGE_CORRUPT" });
  });

  it("loads the state the blocks wrote", async () => {
    const path = await closedChain();
    const c = await openChain(genesis, defer, { path });
    expect(c.chain.getAccount(bob.addressBytes).balance).toBe(10n);
  });

  it("stores exactly one state entry per account the chain touched", async () => {
    const path = await closedChain();
    let count = 0;
    await tamper(path, async (db) => {
      for await (const _ of db.keys({ gte: stateKey(new Uint8Array(0)), lt: Uint8Array.of(0x74) })) count++;
    });
    // alice, bob and the default beneficiary.
    expect(count).toBe(3);
  });

  async function tamper(path: string, edit: (db: ChainDb) => Promise<unknown>): Promise<void> {
    const db = await openChainDb(path);
    try {
      await edit(db);
    } finally {
      await db.close();
    }
  }
});

describe("a node's data dir", () => {
  const defer = cleanupAfterEach();

  async function nodeDir(): Promise<string> {
    const dir = await tempDir();
    defer(dir.cleanup);
    return dir.path;
  }

  async function startNode(dataDir: string, g = genesis): Promise<ChainlabNode> {
    const node = await ChainlabNode.open({ dataDir, genesis: g }, silentLogger());
    defer(() => node.stop());
    return node;
  }

  it("cannot be opened by a second node while the first runs (STORAGE_LOCKED)", async () => {
    const dir = await nodeDir();
    await startNode(dir);
    await expect(startNode(dir)).rejects.toMatchObject({ code: "STORAGE_LOCKED" });
  });

  it("refuses another genesis with GENESIS_MISMATCH", async () => {
    const dir = await nodeDir();
    await (await startNode(dir)).stop();
    await expect(startNode(dir, otherGenesis)).rejects.toMatchObject({ code: "GENESIS_MISMATCH" });
  });

  it("is released after a refused genesis, so the right one opens", async () => {
    const dir = await nodeDir();
    const first = await startNode(dir);
    const gh = toHex(first.chain.genesisHash);
    await first.stop();
    await startNode(dir, otherGenesis).catch(() => undefined);
    expect(toHex((await startNode(dir)).chain.genesisHash)).toBe(gh);
  });

  it("keeps its LevelDB under chain/", async () => {
    const dir = await nodeDir();
    const node = await startNode(dir);
    expect(node.chain.store.db.location).toBe(join(dir, "chain"));
  });
});
