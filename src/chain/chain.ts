/**
 * The chain: opens the store, keeps the block tree, the engine's fork choice and the head state in
 * memory, and runs the import pipeline. Everything is serialized in one queue.
 *
 * Importing a block and setting the head are separate steps (geth's InsertBlockWithoutSetHead and
 * SetCanonical). Import validates in layers, executes the block against its parent's state and
 * writes block, meta (with the engine's metadata) and undo in one batch; only then does the block
 * enter the tree and the fork choice. updateHead() asks the fork choice for the head after a
 * block, a message or a tick and moves there (revert to the fork point, apply the other branch) in
 * one batch. A crash between the two leaves the previous head, and opening moves to the fork
 * choice's head again. Memory changes only after a batch is durable.
 *
 * Blame: a block hash is remembered as invalid only for failures that follow from the header
 * (the header commits to the body through the tx root and the engine's fields). A body that does
 * not match its header is the sender's fault; blocks refused for reasons of our own head, clock
 * or storage are never remembered.
 */
import type { Logger } from "pino";
import type {
  BlockMeta,
  ChainStatus,
  ChainView,
  Checkpoint,
  ConsensusEngine,
  ForkChoice,
} from "../consensus/engine.ts";
import { ConsensusError } from "../consensus/engine.ts";
import type { Account } from "../core/account.ts";
import { type Block, decodeBlock, encodeBlock, headerHash } from "../core/block.ts";
import { BlockError, ChainlabError, describeError, GenesisError } from "../core/errors.ts";
import { buildGenesis, type Genesis } from "../core/genesis.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import { LtHash } from "../core/lthash.ts";
import { MemoryState, StateOverlay } from "../core/state.ts";
import { type TxRules, txId } from "../core/tx.ts";
import { encodeUndo } from "../core/undo.ts";
import { createVerifyPool, type SignatureVerifier } from "../crypto/verify-pool.ts";
import type { ChainStore } from "../storage/chain-store.ts";
import { StorageError } from "../storage/errors.ts";
import { BlockStatus } from "../storage/schema.ts";
import { BlockTree } from "./block-tree.ts";
import { type Execution, HeadSwitcher } from "./head-switch.ts";
import { type OrphanLimits, OrphanPool } from "./orphans.ts";
import { SignatureCache } from "./signature-cache.ts";
import { type TemplateArgs, TemplateBuilder } from "./template.ts";
import { verifyBlockSignatures, verifyBodyMatchesHeader, verifyBodyRules } from "./validate.ts";

/** A change of head, as listeners (mempool, p2p, RPC, metrics) see it. */
export interface HeadChange {
  head: BlockMeta;
  previous: BlockMeta;
  connected: Block[];
  disconnected: Block[];
}

/** The outcome of importing one block. */
export interface ImportResult {
  /** head: the block is the new head; side: stored and executed, not the head. */
  status: "head" | "side" | "duplicate" | "orphan";
  hash: Hash;
  height: number;
  /** For an orphan: the earliest ancestor the node lacks (to fetch from peers). */
  missingParent?: Hash;
}

/** Where a block comes from, for the checks that depend on it. */
export interface ImportOptions {
  /** The peer that sent it (orphan pool shares), or "local". */
  peer?: string;
  /**
   * We asked for it (sync or an ancestor fetch from a peer that claimed a better chain): the
   * fork choice's low-work filter does not apply, as Bitcoin Core processes requested blocks.
   */
  requested?: boolean;
  /** Its encoded size, if the caller has it (orphan pool accounting). */
  bytes?: number;
}

/** Dependencies of a chain. */
export interface ChainDeps {
  store: ChainStore;
  engine: ConsensusEngine;
  genesis: Genesis;
  log: Logger;
  now?: () => number;
  orphanLimits?: Partial<OrphanLimits>;
  /** Verifies tx signature batches (a worker pool); default: in the calling thread. */
  verifier?: SignatureVerifier;
  /** Most (tx id, signature) pairs the signature cache remembers (default 100,000). */
  sigCacheSize?: number;
}

/** Most header-invalid block hashes remembered. */
const INVALID_CACHE_SIZE = 10_000;

/** The node's chain: block tree, fork choice, head state and the import pipeline. */
export class Chain {
  readonly store: ChainStore;
  readonly engine: ConsensusEngine;
  readonly tree: BlockTree;
  readonly state: MemoryState;
  readonly rules: TxRules;
  readonly genesisHash: Hash;
  readonly sigCache: SignatureCache;
  readonly verifier: SignatureVerifier;
  readonly orphans: OrphanPool;
  readonly forkChoice: ForkChoice;
  /** Work the import pipeline did: blocks executed on import, tx signatures verified. */
  readonly counters = { executed: 0, signatureChecks: 0 };
  private acc: LtHash;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly listeners = new Set<(c: HeadChange) => void>();
  private readonly finalityListeners = new Set<(c: Checkpoint) => void>();
  private readonly invalid = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly switcher: HeadSwitcher;
  private lastFinalized: Checkpoint;

  private constructor(
    deps: ChainDeps,
    tree: BlockTree,
    state: MemoryState,
    acc: LtHash,
    genesisHash: Hash,
    stored: BlockMeta[],
  ) {
    this.store = deps.store;
    this.engine = deps.engine;
    this.log = deps.log.child({ module: "chain" });
    this.now = deps.now ?? Date.now;
    this.tree = tree;
    this.state = state;
    this.acc = acc;
    this.genesisHash = genesisHash;
    this.orphans = new OrphanPool(deps.orphanLimits);
    this.sigCache = new SignatureCache(deps.sigCacheSize);
    this.verifier = deps.verifier ?? createVerifyPool({ threads: 0 });
    this.rules = {
      chainId: deps.genesis.chainId,
      genesisHash,
      minFee: deps.genesis.minFee,
      engineKinds: deps.engine.txKinds,
    };
    this.switcher = new HeadSwitcher(this.store, this.engine, this.tree);
    this.forkChoice = deps.engine.createForkChoice(tree, { head: tree.head(), blocks: stored });
    this.lastFinalized = this.forkChoice.finalized();
  }

  /** Opens the chain in `deps.store`, writing genesis on first use and recovering the head. */
  static async open(deps: ChainDeps): Promise<Chain> {
    const g = buildGenesis(deps.genesis, deps.engine.genesisFields(), (s) => deps.engine.genesisState(s));
    const genesisHash = headerHash(g.block.header);
    const genesisMeta: BlockMeta = {
      hash: genesisHash,
      header: g.block.header,
      engineMeta: deps.engine.genesisMeta(),
    };
    const stored = await deps.store.getGenesisHash();
    if (stored === undefined) {
      await deps.store
        .batch()
        .putGenesis(genesisHash)
        .putBlock(genesisHash, encodeBlock(g.block))
        .putMeta(genesisHash, {
          status: BlockStatus.valid,
          engineMeta: genesisMeta.engineMeta,
          header: g.block.header,
        })
        .putCanonical(0, genesisHash)
        .putStateChanges(g.changes)
        .putHead(genesisHash, g.acc.toBytes())
        .write();
    } else if (!bytesEqual(stored, genesisHash)) {
      throw new GenesisError(
        "GENESIS_MISMATCH",
        `data dir holds chain ${toHex(stored).slice(0, 16)}, genesis file defines ${toHex(genesisHash).slice(0, 16)}`,
      );
    }
    const tree = new BlockTree(genesisMeta);
    // Only executed blocks enter the tree; records of older data dirs (unexecuted or invalid side
    // blocks) are skipped. Parents go before children, and a block whose parent is missing stays out.
    const loaded: BlockMeta[] = [];
    for await (const { hash, meta } of deps.store.metas()) {
      if (meta.header.height === 0 || meta.status !== BlockStatus.valid) continue;
      loaded.push({ hash, header: meta.header, engineMeta: meta.engineMeta });
    }
    loaded.sort((a, b) => a.header.height - b.header.height);
    const blocks: BlockMeta[] = [];
    for (const meta of loaded) {
      if (!tree.has(meta.header.parentHash)) continue;
      tree.add(meta);
      blocks.push(meta);
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
    const chain = new Chain(deps, tree, state, acc, genesisHash, blocks);
    // A crash between a block's import and the head update leaves the old head on disk.
    await chain.setHeadFromForkChoice(undefined);
    chain.log.info(
      { height: chain.head().header.height, hash: toHex(chain.head().hash), blocks: tree.size },
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

  /** The fork choice's finalized checkpoint. */
  finalized(): Checkpoint {
    return this.forkChoice.finalized();
  }

  /** The fork choice's opaque weight of a block. */
  weightOf(meta: BlockMeta): Uint8Array {
    return this.forkChoice.weightOf(meta);
  }

  /** Our head as peers see it in the status message. */
  status(): ChainStatus {
    const head = this.tree.head();
    return {
      headHash: head.hash,
      headHeight: head.header.height,
      finalized: this.forkChoice.finalized(),
      weight: this.forkChoice.weightOf(head),
    };
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

  /** Subscribes to a newly finalized checkpoint. */
  onFinalized(listener: (c: Checkpoint) => void): () => void {
    this.finalityListeners.add(listener);
    return () => this.finalityListeners.delete(listener);
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

  /** True when the block is known: executed, pooled as an orphan, or known invalid by its header. */
  hasBlock(hash: Hash): boolean {
    const id = toHex(hash);
    return this.tree.has(id) || this.invalid.has(id) || this.orphans.has(id);
  }

  /** True when the block's header is known to be invalid. */
  isKnownInvalid(hash: Hash): boolean {
    return this.invalid.has(toHex(hash));
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
  importBlock(block: Block, options: ImportOptions = {}): Promise<ImportResult> {
    return this.enqueue(() => this.importChain(block, options));
  }

  /** Hands an engine message to the fork choice, then updates the head. */
  onEngineMessage(message: unknown): Promise<void> {
    return this.enqueue(async () => {
      this.forkChoice.onMessage(message);
      await this.setHeadFromForkChoice(undefined);
    });
  }

  /** Advances the fork choice's clock, then updates the head. */
  tick(now: number = this.now()): Promise<void> {
    return this.enqueue(async () => {
      this.forkChoice.onTick(now);
      await this.setHeadFromForkChoice(undefined);
    });
  }

  /** Moves the head to the fork choice's head (in the queue). */
  updateHead(): Promise<void> {
    return this.enqueue(async () => {
      await this.setHeadFromForkChoice(undefined);
    });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Imports `block`, then any orphans that were waiting for it, then updates the head. */
  private async importChain(block: Block, options: ImportOptions): Promise<ImportResult> {
    const first = await this.importOne(block, options);
    let result: ImportResult = first.result;
    let known = first.exec;
    if (result.status === "side") {
      const pending = this.orphans.takeChildren(result.hash);
      while (pending.length > 0) {
        const child = pending.shift()!;
        try {
          const r = await this.importOne(child.block, { peer: child.peer, requested: options.requested });
          if (r.result.status === "side") {
            pending.push(...this.orphans.takeChildren(r.result.hash));
            known = r.exec;
          }
        } catch (err) {
          this.log.debug({ err: describeError(err) }, "orphan refused");
        }
      }
      const moved = await this.setHeadFromForkChoice(known);
      if (moved && bytesEqual(this.head().hash, result.hash)) result = { ...result, status: "head" };
    }
    return result;
  }

  private async importOne(
    block: Block,
    options: ImportOptions,
  ): Promise<{ result: ImportResult; exec?: Execution }> {
    const { header } = block;
    const hash = headerHash(header);
    const id = toHex(hash);
    const height = header.height;
    if (this.tree.has(id)) return { result: { status: "duplicate", hash, height } };
    if (this.invalid.has(id)) throw new BlockError("BLOCK_KNOWN_INVALID", "block is known to be invalid");
    const now = this.now();
    const parent = this.tree.getMeta(header.parentHash);
    if (parent === undefined) {
      if (this.invalid.has(toHex(header.parentHash))) {
        this.rememberInvalid(id);
        throw new BlockError("BLOCK_INVALID_ANCESTOR", "block descends from an invalid block");
      }
      // At or below finality, only the finalized chain's blocks are ours, and those are known.
      const fin = this.forkChoice.finalized();
      if (height <= fin.height) {
        throw new ConsensusError(
          "BLOCK_NOT_FINALIZED_DESCENDANT",
          `block at height ${height} is at or below the finalized height ${fin.height} and not on its chain`,
          { finalizedHeight: fin.height },
        );
      }
      // Checked before pooling: the seal (so orphans cost work) and the body (so a mutated copy
      // never holds an honest block's place in the pool).
      this.headerCheck(id, () => this.engine.verifyHeaderIntrinsic(header, now));
      verifyBodyMatchesHeader(block, this.engine);
      if (this.orphans.has(id))
        return { result: { status: "orphan", hash, height, missingParent: this.orphans.rootParent(block) } };
      const bytes = options.bytes ?? encodeBlock(block).length;
      if (!this.orphans.add(block, bytes, options.peer, id)) {
        throw new BlockError("BLOCK_ORPHAN_POOL_FULL", `orphan of ${bytes} bytes does not fit the pool`);
      }
      return { result: { status: "orphan", hash, height, missingParent: this.orphans.rootParent(block) } };
    }
    if (height !== parent.header.height + 1) {
      this.rememberInvalid(id);
      throw new BlockError("BLOCK_BAD_HEIGHT", `height ${height}, parent is at ${parent.header.height}`, {
        got: height,
        expected: parent.header.height + 1,
      });
    }
    this.verifyDescendsFromFinalized(parent);
    if (options.requested !== true) {
      const refused = this.forkChoice.admits(parent, header);
      if (refused !== undefined) throw refused;
    }
    this.headerCheck(id, () => this.engine.verifyHeader(header, parent, this.tree, now));
    // The sender's fault if the body is not the header's: the hash stays innocent.
    verifyBodyMatchesHeader(block, this.engine);
    // From here on the body is the one the header commits to: any failure is the block's.
    const ids = block.txs.map(txId);
    let exec: Execution;
    let parentState: Awaited<ReturnType<HeadSwitcher["stateAt"]>>;
    try {
      verifyBodyRules(block, ids, { engine: this.engine, rules: this.rules, view: this.tree });
      parentState = await this.switcher.stateAt(parent, { state: this.state, acc: this.acc });
      const done = this.switcher.execute(block, parent, parentState.state, parentState.acc);
      this.counters.executed++;
      const badRoot = done instanceof BlockError && done.code === "BLOCK_BAD_STATE_ROOT";
      if (done instanceof ChainlabError && !badRoot) throw done;
      // Signatures after the state checks: a block of unfunded senders fails execution at its
      // first tx, unverified. A wrong state root is reported after them (the more specific error).
      this.counters.signatureChecks += await verifyBlockSignatures(block, ids, {
        rules: this.rules,
        sigCache: this.sigCache,
        verifier: this.verifier,
      });
      if (done instanceof ChainlabError) throw done;
      exec = { ...done, hash, block, ids };
    } catch (err) {
      if (err instanceof ChainlabError && err.senderAtFault) this.rememberInvalid(id);
      throw err;
    }
    const meta: BlockMeta = { hash, header, engineMeta: exec.engineMeta };
    await this.store
      .batch()
      .putBlock(hash, encodeBlock(block))
      .putMeta(hash, { status: BlockStatus.valid, engineMeta: exec.engineMeta, header })
      .putUndo(hash, encodeUndo(exec.changes))
      .write();
    this.tree.add(meta);
    this.forkChoice.onBlock(meta);
    this.switcher.rememberSide(exec, parentState);
    this.log.debug({ height, hash: id, txs: block.txs.length }, "stored block");
    return { result: { status: "side", hash, height }, exec };
  }

  /** Runs a header check; a failure that follows from the header marks the hash invalid. */
  private headerCheck(id: string, check: () => void): void {
    try {
      check();
    } catch (err) {
      if (err instanceof ChainlabError && err.senderAtFault) this.rememberInvalid(id);
      throw err;
    }
  }

  /** Refuses a block whose parent does not descend from the finalized checkpoint. */
  private verifyDescendsFromFinalized(parent: BlockMeta): void {
    const fin = this.forkChoice.finalized();
    const at = this.tree.ancestorAt(parent, fin.height);
    if (at === undefined || !bytesEqual(at.hash, fin.hash)) {
      throw new ConsensusError(
        "BLOCK_NOT_FINALIZED_DESCENDANT",
        `block does not descend from the finalized block at height ${fin.height}`,
        { finalizedHeight: fin.height, finalizedHash: toHex(fin.hash) },
      );
    }
  }

  /** Moves the head to the fork choice's head; true when it moved. Prunes below new finality. */
  private async setHeadFromForkChoice(known: Execution | undefined): Promise<boolean> {
    const target = this.forkChoice.getHead();
    const previous = this.tree.head();
    let moved = false;
    if (!bytesEqual(target.hash, previous.hash)) {
      // The finality this node has acted on (pruned to), not a later checkpoint the target's branch
      // may bring with it: a reorg onto a branch that finalized while this one had not is allowed.
      const fin = this.lastFinalized;
      const fork = this.tree.forkPoint(previous, target);
      if (fork.header.height < fin.height && previous.header.height >= fin.height) {
        this.log.error(
          { forkHeight: fork.header.height, finalizedHeight: fin.height },
          "fork choice asked for a reorg past finality; keeping the head",
        );
      } else {
        const outcome = await this.switcher.switchTo(target, { state: this.state, acc: this.acc }, known);
        this.state.apply(outcome.netChanges);
        this.acc = outcome.acc;
        this.tree.setHead(target, outcome.forkHeight + 1, outcome.branch);
        moved = true;
        const change: HeadChange = {
          head: target,
          previous,
          connected: outcome.connected,
          disconnected: outcome.disconnected,
        };
        if (outcome.disconnected.length > 0) {
          this.log.info(
            {
              height: target.header.height,
              hash: toHex(target.hash),
              depth: outcome.disconnected.length,
              forkHeight: outcome.forkHeight,
            },
            "reorganized to the fork choice's head",
          );
        } else {
          this.log.debug({ height: target.header.height, hash: toHex(target.hash) }, "new head");
        }
        for (const l of this.listeners) {
          try {
            l(change);
          } catch (err) {
            this.log.error({ err: describeError(err) }, "head listener failed");
          }
        }
      }
    }
    await this.pruneIfFinalized();
    return moved;
  }

  /** After finality moves: drops every block that does not descend from it, memory after disk. */
  private async pruneIfFinalized(): Promise<void> {
    const fin = this.forkChoice.finalized();
    if (bytesEqual(fin.hash, this.lastFinalized.hash)) return;
    const head = this.tree.head();
    const onHeadChain = this.tree.ancestorAt(head, fin.height);
    if (onHeadChain === undefined || !bytesEqual(onHeadChain.hash, fin.hash)) {
      // Pruning to it would delete the head's own ancestors; wait until the head descends from it.
      this.log.warn(
        { finalizedHeight: fin.height, headHeight: head.header.height },
        "finalized checkpoint is not on the head's chain; not pruning",
      );
      return;
    }
    this.lastFinalized = fin;
    const keep = new Set(this.tree.descendants(fin.hash).map((m) => toHex(m.hash)));
    for (let cur = this.tree.getMeta(fin.hash); cur !== undefined && cur.header.height > 0; ) {
      cur = this.tree.getMeta(cur.header.parentHash);
      if (cur) keep.add(toHex(cur.hash));
    }
    keep.add(toHex(this.tree.genesis().hash));
    const dead = this.tree.all().filter((m) => !keep.has(toHex(m.hash)));
    if (dead.length > 0) {
      const batch = this.store.batch();
      for (const m of dead) batch.delBlock(m.hash).delMeta(m.hash).delUndo(m.hash);
      await batch.write();
      this.tree.remove(dead);
      this.log.info({ finalizedHeight: fin.height, pruned: dead.length }, "pruned branches below finality");
    }
    this.forkChoice.prune(fin, dead);
    for (const l of this.finalityListeners) {
      try {
        l(fin);
      } catch (err) {
        this.log.error({ err: describeError(err) }, "finality listener failed");
      }
    }
  }

  private rememberInvalid(id: string): void {
    if (this.invalid.size >= INVALID_CACHE_SIZE)
      this.invalid.delete(this.invalid.values().next().value as string);
    this.invalid.add(id);
  }

  /** Waits for queued imports, for a clean shutdown. */
  async drain(): Promise<void> {
    await this.queue;
  }
}
