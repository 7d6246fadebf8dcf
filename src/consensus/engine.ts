/**
 * The consensus engine interface: everything that differs between Proof of Work and Proof of Stake.
 * chain/, mempool/, p2p/ and rpc/ import only this file from consensus/; node/ picks the
 * implementation from consensus/registry.ts by genesis.consensus.type.
 *
 * Validation is layered as in reth: header against its parent (verifyHeader), body against header
 * (verifyBody), then effects on state (applyEngineTx, applyBlock). Fork choice is a comparison of two
 * candidate heads plus a finality floor below which the chain never reorgs.
 */
import type { Block, Header } from "../core/block.ts";
import { ChainlabError } from "../core/errors.ts";
import type { Genesis } from "../core/genesis.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import type { StateOverlay } from "../core/state.ts";
import type { Tx, TxKind } from "../core/tx.ts";

/** A block the chain knows with a valid header, and its engine-defined cumulative weight. */
export interface BlockMeta {
  hash: Hash;
  header: Header;
  /** Parent's weight plus engine.blockWeight(header): cumulative work for PoW. */
  weight: bigint;
}

/** The narrow, synchronous view of the block tree an engine may read (geth's ChainHeaderReader). */
export interface ChainView {
  genesis(): BlockMeta;
  head(): BlockMeta;
  getMeta(hash: Hash): BlockMeta | undefined;
  /** The canonical block at `height`, if any. */
  getCanonical(height: number): BlockMeta | undefined;
  /** The ancestor of `meta` at `height` (<= meta's height), following parents. */
  ancestorAt(meta: BlockMeta, height: number): BlockMeta | undefined;
}

/** Context of an engine's state effects for one block. */
export interface ApplyContext {
  view: ChainView;
  /** Sum of the fees of the block's transactions. */
  fees: bigint;
}

/** What the chain offers a block producer (miner or proposer). */
export interface ProducerContext {
  /** Builds a full unsealed block on the current head: txs from the mempool, roots computed. */
  buildTemplate(args: { beneficiary: Uint8Array; timestamp: number; engineFields: Uint8Array }): Block;
  /** Hands a sealed block to the import pipeline (and the network). */
  submitBlock(block: Block): Promise<void>;
  /** Subscribes to head changes and new mempool txs; returns an unsubscribe function. */
  onTemplateInvalidated(listener: (reason: "head" | "txs") => void): () => void;
  view: ChainView;
  now(): number;
  log: EngineLogger;
}

/** The logger subset engines use (pino-compatible). */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A block production loop with a start/stop lifecycle. */
export interface BlockProducer {
  start(): void;
  stop(): Promise<void>;
  readonly running: boolean;
  /** Engine-specific figures, e.g. { hashrate }. */
  stats(): Record<string, unknown>;
}

/** Options for a producer from node config (beneficiary, threads, throttle...). */
export interface ProducerOptions {
  beneficiary: Uint8Array;
  threads?: number;
  hashrate?: number;
  [key: string]: unknown;
}

/** A consensus engine. Implementations: consensus/pow, consensus/pos. */
export interface ConsensusEngine {
  readonly type: string;
  /** Tx kinds besides transfer that this engine validates and applies. */
  readonly txKinds: ReadonlySet<TxKind>;
  /** Engine fields of the genesis header. */
  genesisFields(): Uint8Array;
  /** Engine state written at genesis (e.g. the PoS validator set). */
  genesisState(state: StateOverlay): void;
  /** Header checks against its parent: seal, difficulty or proposer, timestamps. Throws. */
  verifyHeader(header: Header, parent: BlockMeta, view: ChainView, now: number): void;
  /** Engine items in the body (must be empty for PoW). Throws. */
  verifyBody(block: Block, view: ChainView): void;
  /** The weight this block adds to its parent's (work for PoW). */
  blockWeight(header: Header): bigint;
  /** Applies a tx of one of `txKinds` after the fee and nonce were taken. Throws TxError. */
  applyEngineTx(tx: Tx, state: StateOverlay, height: number): void;
  /** Engine effects on state after the block's transactions (rewards, slashing, validator changes). */
  applyBlock(block: Block, state: StateOverlay, ctx: ApplyContext): void;
  /** Fork choice: > 0 when `a` is a better head than `b`, 0 when equal (keep the current head). */
  compareHeads(a: BlockMeta, b: BlockMeta, view: ChainView): number;
  /** No reorg may revert a block at or below this height. */
  finalizedHeight(view: ChainView): number;
  /** Engine fields for a new block template on `parent` (sealing fields zeroed). */
  prepareFields(parent: BlockMeta, view: ChainView, timestamp: number): Uint8Array;
  /** The block production loop. */
  createProducer(ctx: ProducerContext, options: ProducerOptions): BlockProducer;
  /** What `consensus_status` reports. */
  status(view: ChainView): Record<string, unknown>;
  /** The engine fields of a header in readable form (for RPC and the CLI). */
  describeFields(header: Header): Record<string, unknown>;
}

/** Builds an engine from a genesis; registered in consensus/registry.ts. */
export type EngineFactory = (genesis: Genesis) => ConsensusEngine;

/** Codes of ConsensusError, shared by every engine. */
export type ConsensusErrorCode =
  | "BLOCK_BAD_PARENT"
  | "BLOCK_BAD_SEAL"
  | "BLOCK_BAD_DIFFICULTY"
  | "BLOCK_BAD_PROPOSER"
  | "BLOCK_TIMESTAMP_TOO_OLD"
  | "BLOCK_TIMESTAMP_IN_FUTURE"
  | "BLOCK_BAD_ENGINE_FIELDS"
  | "BLOCK_BAD_ENGINE_BODY"
  | "BLOCK_REORG_PAST_FINALITY"
  | "CONSENSUS_BAD_PARAMS"
  | "CONSENSUS_UNKNOWN_ENGINE";

/** A block or parameter rejected by the consensus rules. */
export class ConsensusError extends ChainlabError {
  declare readonly code: ConsensusErrorCode;
  constructor(code: ConsensusErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/**
 * Throws BLOCK_BAD_PARENT unless `header` is the child of `parent` (parent hash and height), as
 * geth's engines do (ErrInvalidNumber): every rule an engine checks against the parent is void if
 * the header extends another block. Every engine's verifyHeader starts with this.
 */
export function verifyExtendsParent(header: Header, parent: BlockMeta): void {
  if (header.height !== parent.header.height + 1 || !bytesEqual(header.parentHash, parent.hash)) {
    throw new ConsensusError(
      "BLOCK_BAD_PARENT",
      `header at height ${header.height} does not extend block at height ${parent.header.height}`,
      {
        got: { height: header.height, parentHash: toHex(header.parentHash) },
        expected: { height: parent.header.height + 1, parentHash: toHex(parent.hash) },
      },
    );
  }
}

/** Median of the timestamps of the last `count` blocks ending at `meta` (median-time-past). */
export function medianTimePast(meta: BlockMeta, view: ChainView, count = 11): number {
  const times: number[] = [];
  let cur: BlockMeta | undefined = meta;
  while (cur !== undefined && times.length < count) {
    times.push(cur.header.timestamp);
    cur = cur.header.height === 0 ? undefined : view.getMeta(cur.header.parentHash);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!;
}
