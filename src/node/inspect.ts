/** Read-only inspection of a stopped node's data dir (head and blocks) without starting it. */
import type { BlockMeta, ConsensusEngine } from "../consensus/engine.ts";
import { createEngine } from "../consensus/registry.ts";
import { type Block, decodeBlock } from "../core/block.ts";
import { ChainlabError } from "../core/errors.ts";
import { type Hash, hashFromHex } from "../core/hash.ts";
import { ChainStore, openChainDb } from "../storage/chain-store.ts";
import { StorageError } from "../storage/errors.ts";
import { decodeMeta } from "../storage/meta.ts";
import { canonicalKey, metaKey } from "../storage/schema.ts";
import { dataDirPaths, resolveGenesis } from "./data-dir.ts";

/** A block found by height or hash, with its place in the chain. */
export interface FoundBlock {
  hash: Hash;
  block: Block;
  canonical: boolean;
  /** Its meta record as a BlockMeta (the engine metadata is opaque). */
  meta: BlockMeta;
}

/** A read-only handle on a data dir. */
export class DataDirReader {
  readonly store: ChainStore;
  readonly engine: ConsensusEngine;

  private constructor(store: ChainStore, engine: ConsensusEngine) {
    this.store = store;
    this.engine = engine;
  }

  /** Opens DIR; throws STORAGE_LOCKED ("data dir in use") when a node is running on it. */
  static async open(dir: string): Promise<DataDirReader> {
    const genesis = await resolveGenesis(dir);
    const engine = createEngine(genesis);
    const db = await openChainDb(dataDirPaths(dir).chain);
    return new DataDirReader(new ChainStore(db), engine);
  }

  async head(): Promise<FoundBlock> {
    const head = await this.store.getHead();
    if (head === undefined)
      throw new StorageError("STORAGE_CORRUPT", "no head: the data dir has no chain yet");
    const found = await this.byHash(head.hash);
    if (found === undefined) throw new StorageError("STORAGE_CORRUPT", "head block is missing");
    return found;
  }

  async byHash(hash: Hash): Promise<FoundBlock | undefined> {
    const bytes = await this.store.getBlock(hash);
    const metaBytes = await this.store.db.get(metaKey(hash));
    if (bytes === undefined || metaBytes === undefined) return undefined;
    const block = decodeBlock(bytes);
    const canonicalHash = await this.store.db.get(canonicalKey(block.header.height));
    const canonical = canonicalHash !== undefined && Buffer.from(canonicalHash).equals(Buffer.from(hash));
    return {
      hash,
      block,
      canonical,
      meta: { hash, header: block.header, engineMeta: decodeMeta(metaBytes).engineMeta },
    };
  }

  async byHeight(height: number): Promise<FoundBlock | undefined> {
    const hash = await this.store.db.get(canonicalKey(height));
    return hash === undefined ? undefined : this.byHash(hash);
  }

  /** A block by height (decimal) or hash (64 hex chars). */
  async find(ref: string): Promise<FoundBlock | undefined> {
    if (/^[0-9]{1,16}$/.test(ref)) return this.byHeight(Number(ref));
    if (/^(0x)?[0-9a-fA-F]{64}$/.test(ref)) return this.byHash(hashFromHex(ref));
    throw new ChainlabError("CLI_BAD_ARGUMENT", `"${ref}" is neither a height nor a 64-hex-digit block hash`);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
