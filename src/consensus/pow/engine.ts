/**
 * The Proof of Work engine: SHA-256 seal under a compact target, ASERT difficulty, median-time-past
 * and future-drift timestamp rules, heaviest-cumulative-work fork choice, coinbase reward plus fees.
 */
import { type Block, encodeHeader, type Header } from "../../core/block.ts";
import { DecodeError } from "../../core/errors.ts";
import type { Genesis } from "../../core/genesis.ts";
import { sha256 } from "../../core/hash.ts";
import { creditAccount } from "../../core/state-transition.ts";
import type { TxKind } from "../../core/tx.ts";
import {
  type ApplyContext,
  type BlockMeta,
  type BlockProducer,
  type ChainView,
  type ConsensusEngine,
  ConsensusError,
  medianTimePast,
  type ProducerContext,
  type ProducerOptions,
  verifyExtendsParent,
} from "../engine.ts";
import { asertTarget, compactToTarget, targetToCompact, workForTarget } from "./difficulty.ts";
import { decodePowFields, encodePowFields, type PowFields } from "./layout.ts";
import { createPoolSealer } from "./miner/pool-sealer.ts";
import { blockReward, type PowParams, parsePowParams } from "./params.ts";
import { PowProducer } from "./producer.ts";
import type { Sealer } from "./sealer.ts";

/** The big-endian integer value of a 32-byte hash. */
export function hashToBigInt(hash: Uint8Array): bigint {
  let v = 0n;
  for (const b of hash) v = (v << 8n) | BigInt(b);
  return v;
}

/** Options of the PoW engine beyond genesis (how to seal). */
export interface PowEngineOptions {
  /** Builds the sealer for a producer; defaults to the worker-thread SIMD miner pool. */
  createSealer?: (options: ProducerOptions) => Sealer;
}

/** The PoW implementation of ConsensusEngine. */
export class PowEngine implements ConsensusEngine {
  readonly type = "pow";
  readonly txKinds: ReadonlySet<TxKind> = new Set();
  readonly params: PowParams;
  private readonly powLimit: bigint;
  private readonly createSealer: (options: ProducerOptions) => Sealer;
  private producer: PowProducer | undefined;

  constructor(genesis: Genesis, options: PowEngineOptions = {}) {
    this.params = parsePowParams(genesis.consensus.params);
    this.powLimit = compactToTarget(this.params.powLimitBits)!;
    this.createSealer =
      options.createSealer ??
      ((o) =>
        createPoolSealer({
          ...(o.threads !== undefined ? { threads: o.threads } : {}),
          ...(o.hashrate !== undefined ? { hashrate: o.hashrate } : {}),
        }));
  }

  genesisFields(): Uint8Array {
    return encodePowFields({ bits: this.params.initialBits, extraNonce: 0n, nonce: 0 });
  }

  genesisState(): void {}

  fields(header: Header): PowFields {
    try {
      return decodePowFields(header.engine);
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new ConsensusError("BLOCK_BAD_ENGINE_FIELDS", `bad PoW header fields: ${err.message}`);
      }
      throw err;
    }
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
    if (header.timestamp > now + this.params.maxFutureDriftMs) {
      throw new ConsensusError(
        "BLOCK_TIMESTAMP_IN_FUTURE",
        `timestamp ${header.timestamp} is too far ahead of ${now}`,
        {
          got: header.timestamp,
          now,
        },
      );
    }
  }

  verifyBody(block: Block): void {
    if (block.engineBody.length !== 0) {
      throw new ConsensusError("BLOCK_BAD_ENGINE_BODY", "PoW blocks carry no engine body");
    }
  }

  blockWeight(header: Header): bigint {
    return workForTarget(compactToTarget(this.fields(header).bits) ?? 0n);
  }

  applyEngineTx(): void {
    throw new ConsensusError("CONSENSUS_BAD_PARAMS", "PoW has no engine transactions");
  }

  applyBlock(block: Block, state: Parameters<ConsensusEngine["applyBlock"]>[1], ctx: ApplyContext): void {
    const reward = blockReward(this.params, block.header.height) + ctx.fees;
    if (reward > 0n) creditAccount(state, block.header.beneficiary, reward);
  }

  compareHeads(a: BlockMeta, b: BlockMeta): number {
    return a.weight > b.weight ? 1 : a.weight < b.weight ? -1 : 0;
  }

  finalizedHeight(): number {
    return 0;
  }

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

  status(view: ChainView): Record<string, unknown> {
    const head = view.head();
    const bits = this.fields(head.header).bits;
    return {
      type: this.type,
      headHeight: head.header.height,
      bits: `0x${bits.toString(16)}`,
      nextBits: `0x${this.expectedBits(head, view).toString(16)}`,
      difficulty: workForTarget(compactToTarget(bits)!).toString(),
      cumulativeWork: head.weight.toString(),
      targetBlockTimeMs: this.params.targetBlockTimeMs,
      mining: this.producer?.running ?? false,
      ...(this.producer ? this.producer.stats() : { hashrate: 0 }),
    };
  }
}
