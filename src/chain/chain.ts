/**
 * The chain: opens the store, keeps the block tree and head state in memory, and runs the import
 * pipeline. Imports are serialized. A block that would become the head is executed first and
 * written together with the state changes, undo data, indexes and head in one atomic batch; a
 * reorg (revert to the fork point, then apply the other branch) is one batch too, so a crash at
 * any moment leaves the previous or the next consistent head, never a mix.
 */
import type { Logger } from "pino";
import type { BlockMeta, ChainView, ConsensusEngine } from "../consensus/engine.ts";
import { ConsensusError } from "../consensus/engine.ts";
import type { Account } from "../core/account.ts";
import { type Block, decodeBlock, encodeBlock, headerHash } from "../core/block.ts";
import { BlockError, ChainlabError, describeError, GenesisError } from "../core/errors.ts";
import { buildGenesis, type Genesis } from "../core/genesis.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import { LtHash } from "../core/lthash.ts";
import { MemoryState, StateOverlay } from "../core/state.ts";
import type { TxRules } from "../core/tx.ts";
import type { ChainStore } from "../storage/chain-store.ts";
import { StorageError } from "../storage/errors.ts";
import { BlockStatus } from "../storage/schema.ts";
import { BlockTree } from "./block-tree.ts";
import { HeadSwitcher } from "./head-switch.ts";
import { OrphanPool } from "./orphans.ts";
import { SignatureCache } from "./signature-cache.ts";
import { type TemplateArgs, TemplateBuilder } from "./template.ts";
import { verifyBlockStateless } from "./validate.ts";

/** A change of head, as listeners (mempool, p2p, RPC, metrics) see it. */
export interface HeadChange {
  head: BlockMeta;
  previous: BlockMeta;
  connected: Block[];
  disconnected: Block[];
}

/** The outcome of importing one block. */
export interface ImportResult {
  status: "head" | "side" | "duplicate" | "orphan";
  hash: Hash;
  height: number;
  /** For an orphan: the earliest ancestor the node lacks (to fetch from peers). */
  missingParent?: Hash;
}

/** Dependencies of a chain. */
export interface ChainDeps {
  store: ChainStore;
  engine: ConsensusEngine;
  genesis: Genesis;
  log: Logger;
  now?: () => number;
  orphanLimit?: number;
  /** Fork depth up to which side blocks are executed before they are stored (default 64; 0 = never). */
  sideCheckDepth?: number;
}

/** The node's chain: block tree, head state and the import pipeline. */
export class Chain {
  readonly store: ChainStore;
  readonly engine: ConsensusEngine;
  readonly tree: BlockTree;
  readonly state: MemoryState;
  readonly rules: TxRules;
  readonly genesisHash: Hash;
  readonly sigCache = new SignatureCache();
  readonly orphans: OrphanPool;
  private acc: LtHash;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly listeners = new Set<(c: HeadChange) => void>();
  private readonly invalid = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly switcher: HeadSwitcher;

  private constructor(deps: ChainDeps, tree: BlockTree, state: MemoryState, acc: LtHash, genesisHash: Hash) {
    this.store = deps.store;
    this.engine = deps.engine;
    this.log = deps.log.child({ module: "chain" });
    this.now = deps.now ?? Date.now;
    this.tree = tree;
    this.state = state;
    this.acc = acc;
    this.genesisHash = genesisHash;
    this.orphans = new OrphanPool(deps.orphanLimit);
    this.rules = {
      chainId: deps.genesis.chainId,
      genesisHash,
      minFee: deps.genesis.minFee,
      engineKinds: deps.engine.txKinds,
    };
    this.switcher = new HeadSwitcher(this.store, this.engine, this.tree, this.log, deps.sideCheckDepth);
  }

  /** Opens the chain in `deps.store`, writing genesis on first use and recovering the head. */
  static async open(deps: ChainDeps): Promise<Chain> {
    const g = buildGenesis(deps.genesis, deps.engine.genesisFields(), (s) => deps.engine.genesisState(s));
    const genesisHash = headerHash(g.block.header);
    const genesisMeta: BlockMeta = { hash: genesisHash, header: g.block.header, weight: 0n };
    const stored = await deps.store.getGenesisHash();
    if (stored === undefined) {
      const batch = deps.store
        .batch()
        .putGenesis(genesisHash)
        .putBlock(genesisHash, encodeBlock(g.block))
        .putMeta(genesisHash, { status: BlockStatus.valid, weight: 0n, header: g.block.header })
        .putCanonical(0, genesisHash)
        .putStateChanges(g.changes)
        .putHead(genesisHash, g.acc.toBytes());
      await batch.write();
    } else if (!bytesEqual(stored, genesisHash)) {
      throw new GenesisError(
        "GENESIS_MISMATCH",
        `data dir holds chain ${toHex(stored).slice(0, 16)}, genesis file defines ${toHex(genesisHash).slice(0, 16)}`,
      );
    }
    const tree = new BlockTree(genesisMeta);
    for await (const { hash, meta } of deps.store.metas()) {
      if (meta.header.height === 0) continue;
      tree.add({ hash, header: meta.header, weight: meta.weight }, meta.status);
    }
    const head = await deps.store.getHead();
    if (head === undefined) throw new StorageError("STORAGE_CORRUPT", "database has a genesis but no head");
    const headMeta = tree.getMeta(head.hash);
    if (headMeta === undefined)
      throw new StorageError("STORAGE_CORRUPT", "head block is not in the database");
    const canonical: Hash[] = [];
    for await (const { height, hash } of deps.store.canonical()) {
      if (height > headMeta.header.height) break;
      canonical[height] = hash;
    }
    // Every height from the head down to genesis must hold the head's ancestor: checking only the
    // length and the last entry let a hole (an array slot left empty) or a stray hash through.
    for (let cur = headMeta; ; ) {
      const entry = canonical[cur.header.height];
      if (entry === undefined || !bytesEqual(entry, cur.hash)) {
        throw new StorageError(
          "STORAGE_CORRUPT",
          `canonical index at height ${cur.header.height} does not hold the head's ancestor`,
        );
      }
      if (cur.header.height === 0) break;
      const parent = tree.getMeta(cur.header.parentHash);
      if (parent === undefined) {
        throw new StorageError(
          "STORAGE_CORRUPT",
          `block at height ${cur.header.height} has no stored parent`,
        );
      }
      cur = parent;
    }
    tree.loadCanonical(canonical, headMeta);
    const state = new MemoryState();
    for await (const { key, value } of deps.store.state()) state.set(key, value);
    const acc = LtHash.fromBytes(head.acc);
    if (!bytesEqual(acc.root(), headMeta.header.stateRoot)) {
      throw new StorageError("STORAGE_CORRUPT", "stored state does not match the head's state root");
    }
    const chain = new Chain(deps, tree, state, acc, genesisHash);
    chain.log.info(
      { height: headMeta.header.height, hash: toHex(head.hash), blocks: tree.size },
      "chain opened",
    );
    return chain;
  }

  /** The read-only view engines and producers use. */
  get view(): ChainView {
    return this.tree;
  }

  head(): BlockMeta {
    return this.tree.head();
  }

  getAccount(address: Uint8Array): Account {
    return new StateOverlay(this.state).getAccount(address);
  }

  /** The state root computed from the in-memory accumulator (equals the head's stateRoot). */
  stateRoot(): Hash {
    return this.acc.root();
  }

  /** Subscribes to head changes; returns an unsubscribe function. */
  onHeadChange(listener: (c: HeadChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async getBlock(hash: Hash): Promise<Block | undefined> {
    const bytes = await this.store.getBlock(hash);
    return bytes ? decodeBlock(bytes) : undefined;
  }

  async getBlockBytes(hash: Hash): Promise<Uint8Array | undefined> {
    return this.store.getBlock(hash);
  }

  async getCanonicalBlock(height: number): Promise<Block | undefined> {
    const meta = this.tree.getCanonical(height);
    return meta ? this.getBlock(meta.hash) : undefined;
  }

  /** Where a canonical transaction was included. */
  async getTxLocation(id: Hash): Promise<{ blockHash: Hash; height: number; index: number } | undefined> {
    const loc = await this.store.getTxLocation(id);
    if (loc === undefined) return undefined;
    const meta = this.tree.getMeta(loc.blockHash);
    if (meta === undefined || !this.tree.isCanonical(loc.blockHash)) return undefined;
    return { blockHash: loc.blockHash, height: meta.header.height, index: loc.index };
  }

  /** True when the block is known (stored, valid or invalid). */
  hasBlock(hash: Hash): boolean {
    const id = toHex(hash);
    return this.tree.node(id) !== undefined || this.invalid.has(id) || this.orphans.has(id);
  }

  /** A block template on the head with the given candidate txs (invalid ones are skipped). */
  buildTemplate(args: TemplateArgs): Block {
    return new TemplateBuilder().build(args, this.templateBase());
  }

  /**
   * A template builder for a producer: successive templates on the same head reuse the previous
   * one and only append new candidates (see template.ts).
   */
  templateBuilder(): (args: TemplateArgs) => Block {
    const builder = new TemplateBuilder();
    return (args) => builder.build(args, this.templateBase());
  }

  private templateBase() {
    return { engine: this.engine, view: this.tree, state: this.state, acc: this.acc };
  }

  /** Imports a block (serialized with every other import). Throws a typed error if invalid. */
  importBlock(block: Block): Promise<ImportResult> {
    const run = this.queue.then(() => this.importChain(block));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Imports `block`, then any orphans that were waiting for it. */
  private async importChain(block: Block): Promise<ImportResult> {
    const result = await this.importOne(block);
    if (result.status === "head" || result.status === "side") {
      const pending = this.orphans.takeChildren(result.hash);
      while (pending.length > 0) {
        const child = pending.shift()!;
        try {
          const r = await this.importOne(child);
          if (r.status === "head" || r.status === "side") pending.push(...this.orphans.takeChildren(r.hash));
        } catch (err) {
          this.log.debug({ err: describeError(err) }, "orphan rejected");
        }
      }
    }
    return result;
  }

  private async importOne(block: Block): Promise<ImportResult> {
    const hash = headerHash(block.header);
    const id = toHex(hash);
    const height = block.header.height;
    const known = this.tree.node(id);
    if (known !== undefined) {
      if (known.status === BlockStatus.invalid)
        throw new BlockError("BLOCK_KNOWN_INVALID", "block is known to be invalid");
      return { status: "duplicate", hash, height };
    }
    if (this.invalid.has(id)) throw new BlockError("BLOCK_KNOWN_INVALID", "block is known to be invalid");
    const parent = this.tree.node(block.header.parentHash);
    if (parent === undefined) {
      // A rejected block is never added to the tree: without this its children would wait in the
      // orphan pool and name the invalid block as the missing parent to fetch.
      if (this.invalid.has(toHex(block.header.parentHash))) {
        this.rememberInvalid(id);
        throw new BlockError("BLOCK_INVALID_ANCESTOR", "block descends from an invalid block");
      }
      this.orphans.add(block, id);
      return { status: "orphan", hash, height, missingParent: this.orphans.rootParent(block) };
    }
    if (parent.status === BlockStatus.invalid) {
      this.rememberInvalid(id);
      throw new BlockError("BLOCK_INVALID_ANCESTOR", "block descends from an invalid block");
    }
    try {
      verifyBlockStateless(block, parent.meta, {
        engine: this.engine,
        rules: this.rules,
        view: this.tree,
        now: this.now(),
        sigCache: this.sigCache,
      });
    } catch (err) {
      // A timestamp too far in the future may become valid later: do not remember it as invalid.
      if (!(err instanceof ConsensusError && err.code === "BLOCK_TIMESTAMP_IN_FUTURE"))
        this.rememberInvalid(id);
      throw err;
    }
    const meta: BlockMeta = {
      hash,
      header: block.header,
      weight: parent.meta.weight + this.engine.blockWeight(block.header),
    };
    const head = this.tree.head();
    if (this.engine.compareHeads(meta, head, this.tree) <= 0) {
      // Not the new head: execute it against its parent's state anyway, so that a side block
      // with a bad state root or bad txs is rejected here and never reaches storage.
      const check = await this.switcher.verifySide(meta, block, { state: this.state, acc: this.acc });
      if (check instanceof ChainlabError) {
        this.rememberInvalid(id);
        throw check;
      }
      const status = check === "checked" ? BlockStatus.valid : BlockStatus.stored;
      await this.store
        .batch()
        .putBlock(hash, encodeBlock(block))
        .putMeta(hash, { status, weight: meta.weight, header: block.header })
        .write();
      this.tree.add(meta, status);
      this.log.debug({ height, hash: id, checked: check === "checked" }, "stored side block");
      return { status: "side", hash, height };
    }
    const outcome = await this.switcher.switchTo(meta, block, { state: this.state, acc: this.acc });
    if (outcome.kind === "invalid") {
      if (outcome.newBlockInvalid) this.rememberInvalid(id);
      throw outcome.error;
    }
    this.state.apply(outcome.netChanges);
    this.acc = outcome.acc;
    const change: HeadChange = {
      head: meta,
      previous: head,
      connected: outcome.connected,
      disconnected: outcome.disconnected,
    };
    if (outcome.disconnected.length > 0) {
      this.log.info(
        { height, hash: id, depth: outcome.disconnected.length, forkHeight: outcome.forkHeight },
        "reorganized to a heavier branch",
      );
    } else {
      this.log.debug({ height, hash: id, txs: block.txs.length }, "imported block");
    }
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.log.error({ err: describeError(err) }, "head listener failed");
      }
    }
    return { status: "head", hash, height };
  }

  private rememberInvalid(id: string): void {
    if (this.invalid.size >= 10_000) this.invalid.delete(this.invalid.values().next().value as string);
    this.invalid.add(id);
  }

  /** Waits for queued imports, for a clean shutdown. */
  async drain(): Promise<void> {
    await this.queue;
  }
}
