/**
 * Block execution against any executed block's state, and moving the head. The state of a block
 * off the head comes from reverting the head's state to the fork point with undo data, then
 * replaying the branch; the state after the last executed side block is cached, so a side branch
 * that grows block by block costs one execution per block. Moving the head writes the canonical
 * index, tx index, state changes and head pointer in one batch; nothing in memory changes here,
 * the caller applies the returned net changes after the batch is durable.
 */
import type { BlockMeta, ConsensusEngine } from "../consensus/engine.ts";
import { type Block, decodeBlock } from "../core/block.ts";
import { BlockError, ChainlabError, DecodeError } from "../core/errors.ts";
import { bytesEqual, toHex } from "../core/hash.ts";
import type { LtHash } from "../core/lthash.ts";
import { type StateChange, StateOverlay, type StateReader, updateLtHash } from "../core/state.ts";
import { txId } from "../core/tx.ts";
import { decodeUndo, encodeUndo } from "../core/undo.ts";
import type { ChainStore } from "../storage/chain-store.ts";
import { StorageError } from "../storage/errors.ts";
import type { BlockTree } from "./block-tree.ts";
import { executeBlock } from "./execute.ts";

/** What executing a block yields: its state changes against its parent, its engine metadata. */
export interface StateDelta {
  changes: StateChange[];
  engineMeta: Uint8Array;
  /** The state commitment after the block. */
  acc: LtHash;
}

/** An imported block's execution, kept so the head can move to it without executing it again. */
export interface Execution extends StateDelta {
  hash: Uint8Array;
  /** The executed block (saves a read when the head moves to it). */
  block?: Block;
  /** Its tx ids, in order (saves hashing every tx again for the tx index). */
  ids?: readonly Uint8Array[];
}

/** The result of a head switch. */
export interface SwitchOutcome {
  netChanges: StateChange[];
  acc: LtHash;
  connected: Block[];
  disconnected: Block[];
  forkHeight: number;
  branch: BlockMeta[];
}

/** The head state the chain holds in memory. */
export interface HeadState {
  state: StateReader;
  acc: LtHash;
}

/** Executes blocks on any branch and moves the head. */
export class HeadSwitcher {
  private readonly store: ChainStore;
  private readonly engine: ConsensusEngine;
  private readonly tree: BlockTree;
  private sideCache: { hash: Uint8Array; headHash: Uint8Array; state: StateOverlay; acc: LtHash } | undefined;
  /** The last side block's execution, materialized into sideCache only when its child needs it. */
  private pendingSide:
    | { exec: Execution; parent: { state: StateOverlay; acc: LtHash }; headHash: Uint8Array }
    | undefined;

  constructor(store: ChainStore, engine: ConsensusEngine, tree: BlockTree) {
    this.store = store;
    this.engine = engine;
    this.tree = tree;
  }

  /** A stored block; a missing or undecodable record is our storage's fault (STORAGE_CORRUPT). */
  async loadBlock(meta: BlockMeta): Promise<Block> {
    const bytes = await this.store.getBlock(meta.hash);
    if (bytes === undefined)
      throw new StorageError("STORAGE_CORRUPT", `block ${toHex(meta.hash)} is missing`);
    try {
      return decodeBlock(bytes);
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new StorageError(
          "STORAGE_CORRUPT",
          `stored block ${toHex(meta.hash)} does not decode: ${err.message}`,
        );
      }
      throw err;
    }
  }

  /**
   * The state after `parent` (an executed block), as an overlay on the head state. Reverts the
   * head to the fork point and replays the branch, unless the cached side state is `parent`'s.
   */
  async stateAt(parent: BlockMeta, base: HeadState): Promise<{ state: StateOverlay; acc: LtHash }> {
    const head = this.tree.head();
    if (bytesEqual(parent.hash, head.hash))
      return { state: new StateOverlay(base.state), acc: base.acc.clone() };
    const pending = this.pendingSide;
    if (pending && bytesEqual(pending.exec.hash, parent.hash) && bytesEqual(pending.headHash, head.hash)) {
      const state = new StateOverlay(pending.parent.state);
      const acc = pending.parent.acc.clone();
      this.applyTo(pending.exec, state, acc);
      this.sideCache = { hash: pending.exec.hash, headHash: head.hash, state, acc };
      this.pendingSide = undefined;
    }
    const cached = this.sideCache;
    if (cached && bytesEqual(cached.headHash, head.hash) && bytesEqual(cached.hash, parent.hash)) {
      return { state: new StateOverlay(cached.state), acc: cached.acc.clone() };
    }
    const fork = this.tree.forkPoint(head, parent);
    const state = new StateOverlay(base.state);
    const acc = base.acc.clone();
    await this.revertTo(fork, head, state, acc);
    for (const meta of this.tree.branch(fork, parent)) {
      const block = await this.loadBlock(meta);
      const parentMeta = this.tree.getMeta(block.header.parentHash)!;
      const done = this.execute(block, parentMeta, state, acc);
      if (done instanceof ChainlabError) {
        throw new StorageError(
          "STORAGE_CORRUPT",
          `stored block ${toHex(meta.hash)} no longer executes: ${done.message}`,
        );
      }
      this.applyTo(done, state, acc);
    }
    return { state, acc };
  }

  /**
   * Remembers a block's execution, so a child of it that does not extend the head executes without
   * a replay (built lazily: most blocks become the head and never need it).
   */
  rememberSide(exec: Execution, parentState: { state: StateOverlay; acc: LtHash }): void {
    this.pendingSide = { exec, parent: parentState, headHash: this.tree.head().hash };
  }

  /** Applies undo data from `head` down to `fork` onto `state` and `acc`. */
  private async revertTo(fork: BlockMeta, head: BlockMeta, state: StateOverlay, acc: LtHash): Promise<void> {
    for (const meta of this.tree.branch(fork, head).reverse()) {
      const undoBytes = await this.store.getUndo(meta.hash);
      if (undoBytes === undefined)
        throw new StorageError("STORAGE_CORRUPT", `undo of ${toHex(meta.hash)} is missing`);
      let undo: StateChange[];
      try {
        undo = decodeUndo(undoBytes);
      } catch (err) {
        if (err instanceof DecodeError)
          throw new StorageError("STORAGE_CORRUPT", `undo of ${toHex(meta.hash)} does not decode`);
        throw err;
      }
      for (const c of undo) {
        if (c.prior === undefined) state.delete(c.key);
        else state.put(c.key, c.prior);
      }
      updateLtHash(acc, undo, true);
    }
  }

  /**
   * Executes `block` on `state` (left unchanged) and checks its state root. Returns the execution,
   * or the block's error (BLOCK_BAD_TX, BLOCK_BAD_STATE_ROOT, or the engine's).
   */
  execute(block: Block, parent: BlockMeta, state: StateReader, acc: LtHash): StateDelta | ChainlabError {
    const blockState = new StateOverlay(state);
    let engineMeta: Uint8Array;
    try {
      engineMeta = executeBlock(block, blockState, this.engine, this.tree, parent);
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
    return { changes, engineMeta, acc: next };
  }

  private applyTo(exec: StateDelta, state: StateOverlay, acc: LtHash): void {
    updateLtHash(acc, exec.changes);
    this.applyState(exec, state);
  }

  private applyState(exec: StateDelta, state: StateOverlay): void {
    for (const c of exec.changes) {
      if (c.value === undefined) state.delete(c.key);
      else state.put(c.key, c.value);
    }
  }

  /**
   * Makes `target` (an executed, stored block) the head. `known` is the execution of the block
   * just imported, reused when the branch ends with it.
   */
  async switchTo(target: BlockMeta, base: HeadState, known?: Execution): Promise<SwitchOutcome> {
    const head = this.tree.head();
    const fork = this.tree.forkPoint(head, target);
    const batch = this.store.batch();
    const state = new StateOverlay(base.state);
    const acc = base.acc.clone();

    await this.revertTo(fork, head, state, acc);
    const disconnected: Block[] = [];
    for (const meta of this.tree.branch(fork, head).reverse()) {
      const block = await this.loadBlock(meta);
      for (const tx of block.txs) batch.delTxIndex(txId(tx));
      batch.delCanonical(meta.header.height);
      disconnected.push(block);
    }

    const branch = this.tree.branch(fork, target);
    const connected: Block[] = [];
    for (const meta of branch) {
      const reuse = known !== undefined && bytesEqual(known.hash, meta.hash) ? known : undefined;
      const block = reuse?.block ?? (await this.loadBlock(meta));
      if (reuse !== undefined) {
        // Executed on this very parent state at import: its commitment is known, its undo stored.
        this.applyState(reuse, state);
        acc.lanes.set(reuse.acc.lanes);
      } else {
        const exec = this.execute(block, this.tree.getMeta(meta.header.parentHash)!, state, acc);
        if (exec instanceof ChainlabError) {
          throw new StorageError(
            "STORAGE_CORRUPT",
            `stored block ${toHex(meta.hash)} no longer executes: ${exec.message}`,
          );
        }
        this.applyTo(exec, state, acc);
        // Data dirs from before the engine seam stored some side blocks without undo data.
        batch.putUndo(meta.hash, encodeUndo(exec.changes));
      }
      batch.putCanonical(meta.header.height, meta.hash);
      const ids = reuse?.ids ?? block.txs.map(txId);
      ids.forEach((id, i) => {
        batch.putTxIndex(id, meta.hash, i);
      });
      connected.push(block);
    }
    const netChanges = state.changes();
    batch.putStateChanges(netChanges).putHead(target.hash, acc.toBytes());
    await batch.write();
    this.sideCache = undefined;
    this.pendingSide = undefined;
    return { netChanges, acc, connected, disconnected, forkHeight: fork.header.height, branch };
  }
}
