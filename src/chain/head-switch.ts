/**
 * Moving the head to a heavier block: revert the current branch down to the fork point with undo
 * data, execute the new branch block by block (checking each state root), and write everything in
 * one batch. Nothing in memory changes here; the caller applies the returned net changes after
 * the batch is durable. A block that fails execution is marked invalid with its descendants.
 */
import type { Logger } from "pino";
import type { BlockMeta, ConsensusEngine } from "../consensus/engine.ts";
import { ConsensusError } from "../consensus/engine.ts";
import { type Block, decodeBlock, encodeBlock } from "../core/block.ts";
import { BlockError, ChainlabError } from "../core/errors.ts";
import { bytesEqual, toHex } from "../core/hash.ts";
import type { LtHash } from "../core/lthash.ts";
import { type StateChange, StateOverlay, type StateReader, updateLtHash } from "../core/state.ts";
import { txId } from "../core/tx.ts";
import { decodeUndo, encodeUndo } from "../core/undo.ts";
import type { ChainStore } from "../storage/chain-store.ts";
import { StorageError } from "../storage/errors.ts";
import { BlockStatus } from "../storage/schema.ts";
import type { BlockTree } from "./block-tree.ts";
import { executeBlock } from "./execute.ts";

/** Default fork depth up to which side blocks are executed before storage (deeper: checked if their branch wins). */
export const MAX_SIDE_CHECK_DEPTH = 64;

/** The result of a head switch. */
export type SwitchOutcome =
  | {
      kind: "switched";
      netChanges: StateChange[];
      acc: LtHash;
      connected: Block[];
      disconnected: Block[];
      forkHeight: number;
    }
  | { kind: "invalid"; error: ChainlabError; newBlockInvalid: boolean };

/** Executes reorgs and extensions of the canonical chain. */
export class HeadSwitcher {
  private readonly store: ChainStore;
  private readonly engine: ConsensusEngine;
  private readonly tree: BlockTree;
  private readonly log: Logger;
  private sideCache: { hash: Uint8Array; headHash: Uint8Array; state: StateOverlay; acc: LtHash } | undefined;

  private readonly sideCheckDepth: number;

  constructor(
    store: ChainStore,
    engine: ConsensusEngine,
    tree: BlockTree,
    log: Logger,
    sideCheckDepth = MAX_SIDE_CHECK_DEPTH,
  ) {
    this.sideCheckDepth = sideCheckDepth;
    this.store = store;
    this.engine = engine;
    this.tree = tree;
    this.log = log;
  }

  private async loadBlock(meta: BlockMeta): Promise<Block> {
    const bytes = await this.store.getBlock(meta.hash);
    if (bytes === undefined)
      throw new StorageError("STORAGE_CORRUPT", `block ${toHex(meta.hash)} is missing`);
    return decodeBlock(bytes);
  }

  /**
   * Executes a block that will not become the head against its parent's state, without writing
   * anything, so a side block with a bad state root (or txs) is rejected before it is stored.
   * The parent state comes from reverting the canonical chain to the fork point and replaying the
   * side branch; the state after the last checked side block is cached, so a side branch that
   * grows block by block costs one execution per block. Returns "unchecked" for forks deeper than
   * the configured depth (those blocks are checked when their branch becomes the heaviest).
   */
  async verifySide(
    target: BlockMeta,
    newBlock: Block,
    base: { state: StateReader; acc: LtHash },
  ): Promise<ChainlabError | "checked" | "unchecked"> {
    const head = this.tree.head();
    let state: StateOverlay;
    let acc: LtHash;
    const cached = this.sideCache;
    if (
      cached &&
      bytesEqual(cached.headHash, head.hash) &&
      bytesEqual(cached.hash, target.header.parentHash)
    ) {
      state = new StateOverlay(cached.state);
      acc = cached.acc.clone();
    } else {
      const fork = this.tree.forkPoint(head, target);
      const depth = head.header.height - fork.header.height + (target.header.height - fork.header.height);
      if (depth > this.sideCheckDepth) return "unchecked";
      state = new StateOverlay(base.state);
      acc = base.acc.clone();
      await this.revertTo(fork, head, state, acc);
      for (const meta of this.tree.branch(fork, target)) {
        if (meta === target) break;
        const outcome = this.executeOn(await this.loadBlock(meta), state, acc);
        if (outcome instanceof ChainlabError) {
          await this.markInvalid(meta, false);
          return new BlockError(
            "BLOCK_INVALID_ANCESTOR",
            `side branch block ${meta.header.height} is invalid: ${outcome.message}`,
          );
        }
      }
    }
    const outcome = this.executeOn(newBlock, state, acc);
    if (outcome instanceof ChainlabError) return outcome;
    this.sideCache = { hash: target.hash, headHash: head.hash, state, acc };
    return "checked";
  }

  /** Applies undo data from `head` down to `fork` onto `state` and `acc`. */
  private async revertTo(fork: BlockMeta, head: BlockMeta, state: StateOverlay, acc: LtHash): Promise<void> {
    for (const meta of this.tree.branch(fork, head).reverse()) {
      const undoBytes = await this.store.getUndo(meta.hash);
      if (undoBytes === undefined)
        throw new StorageError("STORAGE_CORRUPT", `undo of ${toHex(meta.hash)} is missing`);
      const undo = decodeUndo(undoBytes);
      for (const c of undo) {
        if (c.prior === undefined) state.delete(c.key);
        else state.put(c.key, c.prior);
      }
      updateLtHash(acc, undo, true);
    }
  }

  /** Executes `block` onto `state`/`acc` and checks its state root; returns the error, if any. */
  private executeOn(block: Block, state: StateOverlay, acc: LtHash): ChainlabError | StateChange[] {
    const blockState = new StateOverlay(state);
    try {
      executeBlock(block, blockState, this.engine, this.tree);
    } catch (err) {
      if (err instanceof ChainlabError) return err;
      throw err;
    }
    const changes = blockState.changes();
    const next = acc.clone();
    updateLtHash(next, changes);
    if (!bytesEqual(next.root(), block.header.stateRoot)) {
      return new BlockError("BLOCK_BAD_STATE_ROOT", "state root does not match the executed state", {
        height: block.header.height,
      });
    }
    updateLtHash(acc, changes);
    for (const c of changes) {
      if (c.value === undefined) state.delete(c.key);
      else state.put(c.key, c.value);
    }
    return changes;
  }

  /** Makes `target` (whose body is `newBlock`, not yet stored) the head. */
  async switchTo(
    target: BlockMeta,
    newBlock: Block,
    base: { state: StateReader; acc: LtHash },
  ): Promise<SwitchOutcome> {
    const head = this.tree.head();
    const fork = this.tree.forkPoint(head, target);
    const finalized = this.engine.finalizedHeight(this.tree);
    if (fork.header.height < finalized) {
      const error = new ConsensusError(
        "BLOCK_REORG_PAST_FINALITY",
        `reorg to height ${fork.header.height} would revert finalized height ${finalized}`,
      );
      return { kind: "invalid", error, newBlockInvalid: false };
    }
    const batch = this.store.batch();
    const state = new StateOverlay(base.state);
    const acc = base.acc.clone();

    // Revert the current branch, newest first.
    await this.revertTo(fork, head, state, acc);
    const disconnected: Block[] = [];
    for (const meta of this.tree.branch(fork, head).reverse()) {
      const block = await this.loadBlock(meta);
      for (const tx of block.txs) batch.delTxIndex(txId(tx));
      batch.delCanonical(meta.header.height);
      disconnected.push(block);
    }

    // Apply the new branch, oldest first.
    const branch = this.tree.branch(fork, target);
    const connected: Block[] = [];
    for (const meta of branch) {
      const isNew = meta === target;
      const block = isNew ? newBlock : await this.loadBlock(meta);
      const changes = this.executeOn(block, state, acc);
      if (changes instanceof ChainlabError) {
        await this.markInvalid(meta, isNew);
        return { kind: "invalid", error: changes, newBlockInvalid: true };
      }
      if (isNew) batch.putBlock(meta.hash, encodeBlock(block));
      batch
        .putMeta(meta.hash, { status: BlockStatus.valid, weight: meta.weight, header: meta.header })
        .putUndo(meta.hash, encodeUndo(changes))
        .putCanonical(meta.header.height, meta.hash);
      block.txs.forEach((tx, i) => {
        batch.putTxIndex(txId(tx), meta.hash, i);
      });
      connected.push(block);
    }
    const netChanges = state.changes();
    batch.putStateChanges(netChanges).putHead(target.hash, acc.toBytes());
    await batch.write();

    if (!this.tree.node(target.hash)) this.tree.add(target, BlockStatus.valid);
    for (const meta of branch) this.tree.setStatus(meta.hash, BlockStatus.valid);
    this.tree.setHead(target, fork.header.height + 1, branch);
    return { kind: "switched", netChanges, acc, connected, disconnected, forkHeight: fork.header.height };
  }

  /** Marks a stored block and its descendants invalid (the new, unstored block is never written). */
  private async markInvalid(meta: BlockMeta, isNew: boolean): Promise<void> {
    if (isNew) return;
    const batch = this.store.batch();
    for (const d of this.tree.descendants(meta.hash)) {
      this.tree.setStatus(d.hash, BlockStatus.invalid);
      batch
        .putMeta(d.hash, { status: BlockStatus.invalid, weight: d.weight, header: d.header })
        .delBlock(d.hash);
    }
    await batch.write();
    this.log.warn({ hash: toHex(meta.hash), height: meta.header.height }, "branch block failed execution");
  }
}
