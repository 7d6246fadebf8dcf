/**
 * PoW fork choice: the executed block with the most cumulative work is the head, and the first
 * seen wins a tie (Bitcoin Core's nSequenceId rule), so a node never flips between equal tips.
 * Unrequested side blocks whose branch would fall more than `marginBlocks` blocks of the head's
 * work behind the head are refused before they cost execution or storage (the anti-DoS work
 * threshold of Bitcoin Core's headers presync, applied per block): with ASERT a fork from an old
 * block is nearly free to mine, so "valid seal" alone bounds nothing.
 */
import type { Header } from "../../core/block.ts";
import {
  type BlockMeta,
  type ChainView,
  type Checkpoint,
  ConsensusError,
  type ForkChoice,
  type ForkChoiceRestore,
} from "../engine.ts";
import { decodeWork } from "./work.ts";

/** The work one block's header stands for. */
export type BlockWork = (header: Header) => bigint;

/** Heaviest-work fork choice over executed blocks. */
export class PowForkChoice implements ForkChoice {
  private readonly view: ChainView;
  private readonly blockWork: BlockWork;
  private readonly marginBlocks: number;
  private best: BlockMeta;
  private bestWork: bigint;

  constructor(view: ChainView, restore: ForkChoiceRestore, blockWork: BlockWork, marginBlocks: number) {
    this.view = view;
    this.blockWork = blockWork;
    this.marginBlocks = marginBlocks;
    // The stored head goes first: among equal-work tips it was seen first before the restart.
    this.best = restore.head;
    this.bestWork = decodeWork(restore.head.engineMeta);
    for (const meta of restore.blocks) this.onBlock(meta);
  }

  onBlock(meta: BlockMeta): void {
    const work = decodeWork(meta.engineMeta);
    if (work > this.bestWork) {
      this.best = meta;
      this.bestWork = work;
    }
  }

  onMessage(): void {}

  onTick(): void {}

  getHead(): BlockMeta {
    return this.best;
  }

  justified(): Checkpoint {
    return this.finalized();
  }

  /** PoW has no finality: the genesis block is the only block that can never be reverted. */
  finalized(): Checkpoint {
    const g = this.view.genesis();
    return { height: 0, hash: g.hash };
  }

  prune(): void {}

  admits(parent: BlockMeta, header: Header): ConsensusError | undefined {
    const headWork = this.bestWork;
    const candidate = decodeWork(parent.engineMeta) + this.blockWork(header);
    if (candidate >= headWork) return undefined;
    const margin = BigInt(this.marginBlocks) * this.blockWork(this.best.header);
    if (candidate + margin >= headWork) return undefined;
    return new ConsensusError(
      "BLOCK_LOW_WORK_FORK",
      `side branch at height ${header.height} is more than ${this.marginBlocks} blocks of work behind the head`,
      { height: header.height, work: candidate.toString(), headWork: headWork.toString() },
    );
  }

  weightOf(meta: BlockMeta): Uint8Array {
    return meta.engineMeta;
  }
}
