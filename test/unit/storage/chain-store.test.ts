import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import { LTHASH_BYTES } from "../../../src/core/lthash.ts";
import { ChainStore, openChainDb } from "../../../src/storage/chain-store.ts";
import { StorageError } from "../../../src/storage/errors.ts";
import { blockKey, headKey } from "../../../src/storage/schema.ts";
import { cleanupAfterEach } from "../../helpers/chain.ts";
import { tempDir } from "../../helpers/fixtures.ts";

const h = (name: string): Uint8Array => sha256(utf8(name));

describe("ChainStore batches", () => {
  const defer = cleanupAfterEach();

  async function store(): Promise<ChainStore> {
    const dir = await tempDir();
    defer(dir.cleanup);
    const s = new ChainStore(await openChainDb(dir.path));
    defer(() => s.close());
    return s;
  }

  it("write nothing before write()", async () => {
    const s = await store();
    s.batch().putBlock(h("a"), Uint8Array.of(1)).putCanonical(1, h("a"));
    expect(await s.getBlock(h("a"))).toBeUndefined();
  });

  it("make every op visible after write()", async () => {
    const s = await store();
    await s
      .batch()
      .putBlock(h("a"), Uint8Array.of(1))
      .putUndo(h("a"), Uint8Array.of(2))
      .putTxIndex(h("tx"), h("a"), 3)
      .putHead(h("a"), new Uint8Array(LTHASH_BYTES))
      .write();
    const block = await s.getBlock(h("a"));
    const undo = await s.getUndo(h("a"));
    const head = await s.getHead();
    const got = [block && toHex(block), undo && toHex(undo), (await s.getTxLocation(h("tx")))?.index];
    expect([...got, head && toHex(head.hash)]).toEqual(["01", "02", 3, toHex(h("a"))]);
  });

  it("write none of their ops when one op is invalid", async () => {
    const s = await store();
    const batch = s.batch().putBlock(h("a"), Uint8Array.of(1)).putCanonical(0, h("a"));
    batch.ops.push({ type: "put", key: Uint8Array.of(0x7a), value: undefined as unknown as Uint8Array });
    await expect(batch.write()).rejects.toThrow();
    expect([await s.getBlock(h("a")), (await collect(s.canonical())).length]).toEqual([undefined, 0]);
  });

  it("apply ops in order: a put after a delete of the same key wins", async () => {
    const s = await store();
    await s.batch().putCanonical(5, h("old")).write();
    await s.batch().delCanonical(5).putCanonical(5, h("new")).write();
    expect((await collect(s.canonical())).map((c) => toHex(c.hash))).toEqual([toHex(h("new"))]);
  });

  it("apply ops in order: a delete after a put of the same key wins", async () => {
    const s = await store();
    await s.batch().putBlock(h("a"), Uint8Array.of(1)).delBlock(h("a")).write();
    expect(await s.db.get(blockKey(h("a")))).toBeUndefined();
  });

  it("write state changes forward: a value is put, an absent value deletes", async () => {
    const s = await store();
    await s
      .batch()
      .putStateChanges([
        { key: Uint8Array.of(1, 1), prior: undefined, value: Uint8Array.of(9) },
        { key: Uint8Array.of(1, 2), prior: undefined, value: Uint8Array.of(8) },
      ])
      .write();
    await s
      .batch()
      .putStateChanges([{ key: Uint8Array.of(1, 2), prior: Uint8Array.of(8), value: undefined }])
      .write();
    const state = (await collect(s.state())).map((e) => [toHex(e.key), toHex(e.value)]);
    expect(state).toEqual([["0101", "09"]]);
  });
});

describe("ChainStore reads", () => {
  const defer = cleanupAfterEach();

  async function store(): Promise<ChainStore> {
    const dir = await tempDir();
    defer(dir.cleanup);
    const s = new ChainStore(await openChainDb(dir.path));
    defer(() => s.close());
    return s;
  }

  it("iterate the canonical index in height order whatever the write order", async () => {
    const s = await store();
    const heights = [300, 2, 65_536, 256, 1, 0, 2 ** 40, 255];
    const batch = s.batch();
    for (const height of heights) batch.putCanonical(height, h(`block ${height}`));
    await batch.write();
    expect((await collect(s.canonical())).map((c) => c.height)).toEqual([...heights].sort((a, b) => a - b));
  });

  it("round-trip a tx location", async () => {
    const s = await store();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        async (id, blockHash, index) => {
          await s.batch().putTxIndex(id, blockHash, index).write();
          const loc = await s.getTxLocation(id);
          expect(loc && [toHex(loc.blockHash), loc.index]).toEqual([toHex(blockHash), index]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("round-trip the head hash and accumulator", async () => {
    const s = await store();
    const acc = new Uint8Array(LTHASH_BYTES).map((_, i) => i % 251);
    await s.batch().putHead(h("head"), acc).write();
    const head = await s.getHead();
    expect(head && [toHex(head.hash), toHex(head.acc)]).toEqual([toHex(h("head")), toHex(acc)]);
  });

  it("report a truncated head record as STORAGE_CORRUPT", async () => {
    const s = await store();
    await s.db.put(headKey(), new Uint8Array(31));
    await expect(s.getHead()).rejects.toMatchObject({ code: "STORAGE_CORRUPT" });
  });

  it("iterate state keys without the storage prefix", async () => {
    const s = await store();
    await s
      .batch()
      .putStateChanges([{ key: Uint8Array.of(1, 7, 7), prior: undefined, value: Uint8Array.of(1) }])
      .write();
    expect((await collect(s.state())).map((e) => toHex(e.key))).toEqual(["010707"]);
  });
});

describe("opening a data dir", () => {
  const defer = cleanupAfterEach();

  it("fails with STORAGE_LOCKED while another handle holds it", async () => {
    const dir = await tempDir();
    defer(dir.cleanup);
    const first = await openChainDb(dir.path);
    defer(() => first.close());
    const second = await openChainDb(dir.path).catch((err: unknown) => err);
    expect([second instanceof StorageError, (second as StorageError).code]).toEqual([true, "STORAGE_LOCKED"]);
  });

  it("with waitForLockMs, waits for a brief holder (an inspection) to let go", async () => {
    const dir = await tempDir();
    defer(dir.cleanup);
    const first = await openChainDb(dir.path);
    setTimeout(() => void first.close(), 200);
    const second = await openChainDb(dir.path, { waitForLockMs: 3000 });
    defer(() => second.close());
    expect(second.status).toBe("open");
  });

  it("with waitForLockMs, still fails with STORAGE_LOCKED when the holder stays", async () => {
    const dir = await tempDir();
    defer(dir.cleanup);
    const first = await openChainDb(dir.path);
    defer(() => first.close());
    const started = Date.now();
    await expect(openChainDb(dir.path, { waitForLockMs: 300 })).rejects.toMatchObject({
      code: "STORAGE_LOCKED",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("succeeds again once the other handle is closed", async () => {
    const dir = await tempDir();
    defer(dir.cleanup);
    const first = await openChainDb(dir.path);
    await first.close();
    const second = await openChainDb(dir.path);
    defer(() => second.close());
    expect(second.status).toBe("open");
  });

  it("fails with STORAGE_OPEN_FAILED where a directory cannot be created", async () => {
    const dir = await tempDir();
    defer(dir.cleanup);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${dir.path}/file`, "not a directory");
    await expect(openChainDb(`${dir.path}/file/chain`)).rejects.toMatchObject({
      code: "STORAGE_OPEN_FAILED",
    });
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
