/**
 * The node's LevelDB: opening (with a clear error when another process holds the data dir), reads
 * of blocks, undo data and indexes, and ChainBatch, which collects every change of one import into
 * a single atomic write. Nothing here knows consensus engines.
 */
import { Level } from "level";
import type { StateChange } from "../core/state.ts";
import { StorageError } from "./errors.ts";
import { decodeMeta, encodeMeta, type StoredMeta } from "./meta.ts";
import {
  blockKey,
  canonicalKey,
  engineKey,
  genesisKey,
  headKey,
  metaKey,
  Prefix,
  prefixRange,
  stateKey,
  txIndexKey,
  undoKey,
} from "./schema.ts";

/** The LevelDB instance type used throughout (byte keys and values). */
export type ChainDb = Level<Uint8Array, Uint8Array>;

type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** All the writes of one import, committed by `write()` in one atomic LevelDB batch. */
export class ChainBatch {
  private readonly db: ChainDb;
  readonly ops: BatchOp[] = [];

  constructor(db: ChainDb) {
    this.db = db;
  }

  private put(key: Uint8Array, value: Uint8Array): this {
    this.ops.push({ type: "put", key, value });
    return this;
  }

  private del(key: Uint8Array): this {
    this.ops.push({ type: "del", key });
    return this;
  }

  putGenesis(hash: Uint8Array): this {
    return this.put(genesisKey(), hash);
  }

  putBlock(hash: Uint8Array, bytes: Uint8Array): this {
    return this.put(blockKey(hash), bytes);
  }

  delBlock(hash: Uint8Array): this {
    return this.del(blockKey(hash));
  }

  putMeta(hash: Uint8Array, meta: StoredMeta): this {
    return this.put(metaKey(hash), encodeMeta(meta));
  }

  delMeta(hash: Uint8Array): this {
    return this.del(metaKey(hash));
  }

  delUndo(hash: Uint8Array): this {
    return this.del(undoKey(hash));
  }

  /** Engine data under the engine's own keys, written in the block's batch. */
  putEngine(key: Uint8Array, value: Uint8Array): this {
    return this.put(engineKey(key), value);
  }

  delEngine(key: Uint8Array): this {
    return this.del(engineKey(key));
  }

  putCanonical(height: number, hash: Uint8Array): this {
    return this.put(canonicalKey(height), hash);
  }

  delCanonical(height: number): this {
    return this.del(canonicalKey(height));
  }

  putUndo(hash: Uint8Array, undo: Uint8Array): this {
    return this.put(undoKey(hash), undo);
  }

  putTxIndex(id: Uint8Array, blockHash: Uint8Array, index: number): this {
    const v = new Uint8Array(36);
    v.set(blockHash);
    new DataView(v.buffer).setUint32(32, index);
    return this.put(txIndexKey(id), v);
  }

  delTxIndex(id: Uint8Array): this {
    return this.del(txIndexKey(id));
  }

  /** Writes the state changes (forward values). */
  putStateChanges(changes: readonly StateChange[]): this {
    for (const c of changes) {
      if (c.value === undefined) this.del(stateKey(c.key));
      else this.put(stateKey(c.key), c.value);
    }
    return this;
  }

  putHead(hash: Uint8Array, acc: Uint8Array): this {
    const v = new Uint8Array(32 + acc.length);
    v.set(hash);
    v.set(acc, 32);
    return this.put(headKey(), v);
  }

  async write(): Promise<void> {
    if (this.ops.length > 0) await this.db.batch(this.ops);
  }
}

/** Where a canonical transaction sits. */
export interface TxLocation {
  blockHash: Uint8Array;
  index: number;
}

/**
 * Opens LevelDB at `path`; throws StorageError STORAGE_LOCKED when another process holds it.
 * With `waitForLockMs`, a held lock is retried for that long first: read-only inspections
 * (`chainlab chain head`) hold it for a moment, and must not make a starting node fail.
 */
export async function openChainDb(path: string, opts: { waitForLockMs?: number } = {}): Promise<ChainDb> {
  const deadline = Date.now() + (opts.waitForLockMs ?? 0);
  for (;;) {
    const db: ChainDb = new Level<Uint8Array, Uint8Array>(path, {
      keyEncoding: "view",
      valueEncoding: "view",
    });
    try {
      await db.open();
      return db;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code !== "LEVEL_LOCKED") {
        throw new StorageError(
          "STORAGE_OPEN_FAILED",
          `cannot open database at ${path}: ${(err as Error).message}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new StorageError(
          "STORAGE_LOCKED",
          `data dir in use: ${path} is locked by another chainlab process`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Typed reads over the chain database. */
export class ChainStore {
  readonly db: ChainDb;

  constructor(db: ChainDb) {
    this.db = db;
  }

  batch(): ChainBatch {
    return new ChainBatch(this.db);
  }

  async getGenesisHash(): Promise<Uint8Array | undefined> {
    return this.db.get(genesisKey());
  }

  async getHead(): Promise<{ hash: Uint8Array; acc: Uint8Array } | undefined> {
    const v = await this.db.get(headKey());
    if (v === undefined) return undefined;
    if (v.length < 32) throw new StorageError("STORAGE_CORRUPT", "head record is truncated");
    return { hash: v.slice(0, 32), acc: v.slice(32) };
  }

  async getBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(blockKey(hash));
  }

  async getEngine(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(engineKey(key));
  }

  async getUndo(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(undoKey(hash));
  }

  async getTxLocation(id: Uint8Array): Promise<TxLocation | undefined> {
    const v = await this.db.get(txIndexKey(id));
    if (v === undefined) return undefined;
    return { blockHash: v.slice(0, 32), index: new DataView(v.buffer, v.byteOffset).getUint32(32) };
  }

  /** Every block meta record, for rebuilding the in-memory block tree. */
  async *metas(): AsyncGenerator<{ hash: Uint8Array; meta: StoredMeta }> {
    for await (const [key, value] of this.db.iterator(prefixRange(Prefix.meta))) {
      yield { hash: key.slice(1), meta: decodeMeta(value) };
    }
  }

  /** Every canonical hash in height order. */
  async *canonical(): AsyncGenerator<{ height: number; hash: Uint8Array }> {
    for await (const [key, value] of this.db.iterator(prefixRange(Prefix.canonical))) {
      yield { height: Number(new DataView(key.buffer, key.byteOffset).getBigUint64(1)), hash: value };
    }
  }

  /** Every state entry (key without the storage prefix). */
  async *state(): AsyncGenerator<{ key: Uint8Array; value: Uint8Array }> {
    for await (const [key, value] of this.db.iterator(prefixRange(Prefix.state))) {
      yield { key: key.slice(1), value };
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
