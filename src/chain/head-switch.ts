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

  constructor(store: ChainStore, engine: ConsensusEngine, tree: BlockTree, log: Logger) {
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
    const disconnected: Block[] = [];
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
      const blockState = new StateOverlay(state);
      let changes: StateChange[];
      try {
        executeBlock(block, blockState, this.engine, this.tree);
        changes = blockState.changes();
        updateLtHash(acc, changes);
        if (!bytesEqual(acc.root(), block.header.stateRoot)) {
          throw new BlockError("BLOCK_BAD_STATE_ROOT", "state root does not match the executed state", {
            height: meta.header.height,
          });
        }
      } catch (err) {
        if (!(err instanceof ChainlabError)) throw err;
        await this.markInvalid(meta, isNew);
        return { kind: "invalid", error: err, newBlockInvalid: true };
      }
      for (const c of changes) {
        if (c.value === undefined) state.delete(c.key);
        else state.put(c.key, c.value);
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
