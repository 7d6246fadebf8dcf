/**
 * The Proof of Work engine: SHA-256 seal under a compact target, ASERT difficulty, median-time-past
 * and future-drift timestamp rules, heaviest-cumulative-work fork choice, coinbase reward plus fees.
 */
import { type Block, encodeHeader, type Header } from "../../core/block.ts";
import type { Genesis } from "../../core/genesis.ts";
import { sha256 } from "../../core/hash.ts";
import { creditAccount } from "../../core/state-transition.ts";
import type { TxKind } from "../../core/tx.ts";
import {
  type ApplyContext,
  type BlockMeta,
  type BlockProducer,
  type ChainStatus,
  type ChainView,
  type ConsensusEngine,
  ConsensusError,
  decodeEngineFields,
  type EngineMetric,
  type EngineTopic,
  type ForkChoice,
  type ForkChoiceRestore,
  medianTimePast,
  type ProducerContext,
  type ProducerOptions,
  verifyExtendsParent,
} from "../engine.ts";
import { asertTarget, compactToTarget, targetToCompact, workForTarget } from "./difficulty.ts";
import { PowForkChoice } from "./fork-choice.ts";
import { decodePowFields, encodePowFields, type PowFields } from "./layout.ts";
import { createMinerSealer } from "./miner/pool-sealer.ts";
import { parsePowNodeOptions } from "./node-options.ts";
import { blockReward, type PowParams, parsePowParams } from "./params.ts";
import { PowProducer } from "./producer.ts";
import type { Sealer } from "./sealer.ts";
import { decodeWork, encodeWork } from "./work.ts";

/** The big-endian integer value of a 32-byte hash. */
export function hashToBigInt(hash: Uint8Array): bigint {
  let v = 0n;
  for (const b of hash) v = (v << 8n) | BigInt(b);
  return v;
}

/** Options of the PoW engine beyond genesis (how to seal, how much side-branch work to store). */
export interface PowEngineOptions {
  /** Builds the sealer for a producer; defaults to the worker-thread SIMD miner pool. */
  createSealer?: (options: ProducerOptions) => Sealer;
  /**
   * Unrequested side blocks whose branch is more than this many blocks of the head's work behind
   * the head are refused (default 64).
   */
  sideBranchMarginBlocks?: number;
}

/** Default of PowEngineOptions.sideBranchMarginBlocks. */
export const DEFAULT_SIDE_BRANCH_MARGIN_BLOCKS = 64;

/** The PoW implementation of ConsensusEngine. */
export class PowEngine implements ConsensusEngine {
  readonly type = "pow";
  readonly txKinds: ReadonlySet<TxKind> = new Set();
  /** PoW needs no clock: its fork choice changes only with blocks. */
  readonly tickMs = 0;
  readonly params: PowParams;
  private readonly powLimit: bigint;
  private readonly createSealer: (options: ProducerOptions) => Sealer;
  private readonly marginBlocks: number;
  private producer: PowProducer | undefined;

  constructor(genesis: Genesis, options: PowEngineOptions = {}) {
    this.params = parsePowParams(genesis.consensus.params);
    this.powLimit = compactToTarget(this.params.powLimitBits)!;
    this.marginBlocks = options.sideBranchMarginBlocks ?? DEFAULT_SIDE_BRANCH_MARGIN_BLOCKS;
    this.createSealer = options.createSealer ?? ((o) => createMinerSealer(parsePowNodeOptions(o.engine)));
  }

  genesisFields(): Uint8Array {
    return encodePowFields({ bits: this.params.initialBits, extraNonce: 0n, nonce: 0 });
  }

  genesisState(): void {}

  genesisMeta(): Uint8Array {
    return encodeWork(0n);
  }

  fields(header: Header): PowFields {
    return decodeEngineFields(header, decodePowFields, "PoW");
  }

  /** The compact bits the block after `parent` must carry. */
  expectedBits(parent: BlockMeta, view: ChainView): number {
    const g = view.genesis();
    return targetToCompact(
      asertTarget({
        anchorTarget: compactToTarget(this.params.initialBits)!,
        anchorTimestamp: g.header.timestamp,
        anchorHeight: 0,
        parentTimestamp: parent.header.timestamp,
        parentHeight: parent.header.height,
        targetBlockTimeMs: this.params.targetBlockTimeMs,
        halfLifeMs: this.params.halfLifeMs,
        powLimit: this.powLimit,
      }),
    );
  }

  /** Seal under the header's own bits, bits within the PoW limit, and no far-future timestamp. */
  verifyHeaderIntrinsic(header: Header, now: number): void {
    const f = this.fields(header);
    const target = compactToTarget(f.bits);
    if (target === null || target === 0n || target > this.powLimit) {
      throw new ConsensusError(
        "BLOCK_BAD_DIFFICULTY",
        `bits 0x${f.bits.toString(16)} are outside the PoW limit`,
        {
          got: f.bits,
        },
      );
    }
    if (hashToBigInt(sha256(encodeHeader(header))) > target) {
      throw new ConsensusError("BLOCK_BAD_SEAL", "header hash is above the target");
    }
    this.verifyNotInFuture(header, now);
  }

  private verifyNotInFuture(header: Header, now: number): void {
    if (header.timestamp > now + this.params.maxFutureDriftMs) {
      throw new ConsensusError(
        "BLOCK_TIMESTAMP_IN_FUTURE",
        `timestamp ${header.timestamp} is too far ahead of ${now}`,
        { got: header.timestamp, now },
      );
    }
  }

  verifyHeader(header: Header, parent: BlockMeta, view: ChainView, now: number): void {
    verifyExtendsParent(header, parent);
    const f = this.fields(header);
    const expected = this.expectedBits(parent, view);
    if (f.bits !== expected) {
      throw new ConsensusError(
        "BLOCK_BAD_DIFFICULTY",
        `bits 0x${f.bits.toString(16)}, expected 0x${expected.toString(16)}`,
        {
          got: f.bits,
          expected,
        },
      );
    }
    const target = compactToTarget(f.bits)!;
    if (hashToBigInt(sha256(encodeHeader(header))) > target) {
      throw new ConsensusError("BLOCK_BAD_SEAL", "header hash is above the target");
    }
    const mtp = medianTimePast(parent, view);
    if (header.timestamp <= mtp) {
      throw new ConsensusError(
        "BLOCK_TIMESTAMP_TOO_OLD",
        `timestamp ${header.timestamp} <= median-time-past ${mtp}`,
        {
          got: header.timestamp,
          mtp,
        },
      );
    }
    this.verifyNotInFuture(header, now);
  }

  /** PoW headers commit to an empty engine body: any engine body bytes were added by a sender. */
  verifyBodyCommitment(block: Block): void {
    if (block.engineBody.length !== 0) {
      throw new ConsensusError("BLOCK_BODY_MISMATCH", "PoW blocks carry no engine body", {
        got: block.engineBody.length,
        expected: 0,
      });
    }
  }

  verifyBody(): void {}

  /** The work this block's header stands for. */
  blockWork(header: Header): bigint {
    return workForTarget(compactToTarget(this.fields(header).bits) ?? 0n);
  }

  applyEngineTx(): void {
    throw new ConsensusError("CONSENSUS_BAD_PARAMS", "PoW has no engine transactions");
  }

  /** Coinbase reward plus fees; the metadata is the parent's cumulative work plus this block's. */
  applyBlock(
    block: Block,
    state: Parameters<ConsensusEngine["applyBlock"]>[1],
    ctx: ApplyContext,
  ): Uint8Array {
    const reward = blockReward(this.params, block.header.height) + ctx.fees;
    if (reward > 0n) creditAccount(state, block.header.beneficiary, reward);
    return encodeWork(decodeWork(ctx.parent.engineMeta) + this.blockWork(block.header));
  }

  createForkChoice(view: ChainView, restore: ForkChoiceRestore): ForkChoice {
    return new PowForkChoice(view, restore, (h) => this.blockWork(h), this.marginBlocks);
  }

  /** More cumulative work than ours (a malformed weight is never ahead). */
  isAhead(ours: ChainStatus, theirs: ChainStatus): boolean {
    try {
      return decodeWork(theirs.weight) > decodeWork(ours.weight);
    } catch {
      return false;
    }
  }

  topics(): EngineTopic[] {
    return [];
  }

  start(): void {}

  async stop(): Promise<void> {}

  prepareFields(parent: BlockMeta, view: ChainView): Uint8Array {
    return encodePowFields({ bits: this.expectedBits(parent, view), extraNonce: 0n, nonce: 0 });
  }

  /** The earliest valid timestamp for a child of `parent` at wall time `now`. */
  templateTimestamp(parent: BlockMeta, view: ChainView, now: number): number {
    return Math.max(now, medianTimePast(parent, view) + 1);
  }

  createProducer(ctx: ProducerContext, options: ProducerOptions): BlockProducer {
    this.producer = new PowProducer(this, ctx, options, () => this.createSealer(options));
    return this.producer;
  }

  describeFields(header: Header): Record<string, unknown> {
    const f = this.fields(header);
    return {
      bits: `0x${f.bits.toString(16).padStart(8, "0")}`,
      extraNonce: f.extraNonce.toString(),
      nonce: f.nonce,
      work: workForTarget(compactToTarget(f.bits) ?? 0n).toString(),
    };
  }

  metrics(): EngineMetric[] {
    const stats = this.producer?.running ? this.producer.stats() : { hashrate: 0 };
    return [
      {
        name: "chainlab_hashrate_hashes_per_second",
        help: "Local proof-of-work hashrate.",
        value: typeof stats.hashrate === "number" ? stats.hashrate : 0,
      },
    ];
  }

  describeMeta(meta: BlockMeta): Record<string, unknown> {
    return { cumulativeWork: decodeWork(meta.engineMeta).toString() };
  }

  status(view: ChainView): Record<string, unknown> {
    const head = view.head();
    const bits = this.fields(head.header).bits;
    return {
      type: this.type,
      headHeight: head.header.height,
      bits: `0x${bits.toString(16)}`,
      nextBits: `0x${this.expectedBits(head, view).toString(16)}`,
      difficulty: workForTarget(compactToTarget(bits)!).toString(),
      cumulativeWork: decodeWork(head.engineMeta).toString(),
      targetBlockTimeMs: this.params.targetBlockTimeMs,
      mining: this.producer?.running ?? false,
      ...(this.producer ? this.producer.stats() : { hashrate: 0 }),
    };
  }
}
