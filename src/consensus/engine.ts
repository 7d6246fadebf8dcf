/**
 * The consensus engine interface: everything that differs between Proof of Work and Proof of Stake.
 * chain/, mempool/, p2p/ and rpc/ import only this file from consensus/; node/ picks the
 * implementation from consensus/registry.ts by genesis.consensus.type.
 *
 * Validation is layered as in reth: the header alone (verifyHeaderIntrinsic, for orphans), the
 * header against its parent (verifyHeader), the body against the header (verifyBodyCommitment,
 * whose failure is the sender's fault, never the block's), engine body items (verifyBody), then
 * the rules that need state (applyEngineTx, applyBlock). applyBlock returns the block's opaque
 * engine metadata, stored with the block. Fork choice is an object the engine owns (Lodestar's
 * IForkChoice): the chain feeds it executed blocks, messages and ticks and asks it for the head.
 */
import type { Block, Header } from "../core/block.ts";
import { ChainlabError, DecodeError } from "../core/errors.ts";
import type { Genesis } from "../core/genesis.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import type { StateOverlay, StateReader } from "../core/state.ts";
import type { Tx, TxKind } from "../core/tx.ts";

/** A block the chain has fully validated and executed, with the engine metadata applyBlock returned. */
export interface BlockMeta {
  hash: Hash;
  header: Header;
  /** Opaque engine bytes (PoW: cumulative work, big-endian; PoS: checkpoints). Never read outside the engine. */
  engineMeta: Uint8Array;
}

/** A finalized or justified block; `epoch` for slot engines. */
export interface Checkpoint {
  height: number;
  hash: Hash;
  epoch?: number;
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
  /** The known children of a block (executed blocks only). */
  childrenOf(hash: Hash): BlockMeta[];
}

/** Context of an engine's state effects for one block. */
export interface ApplyContext {
  view: ChainView;
  /** The block's parent (its engineMeta is the input of the block's). */
  parent: BlockMeta;
  /** Sum of the fees of the block's transactions. */
  fees: bigint;
}

/** A chain's head as a peer announces it in its status message. */
export interface ChainStatus {
  headHash: Hash;
  headHeight: number;
  finalized: Checkpoint;
  /** The engine's opaque fork-choice weight of the head (PoW: cumulative work). */
  weight: Uint8Array;
}

/** What the fork choice persisted state is restored from: the stored blocks and head. */
export interface ForkChoiceRestore {
  /** The head the chain was at when it last wrote (wins ties against other stored blocks). */
  head: BlockMeta;
  /** Every stored, executed block, parents before children. */
  blocks: Iterable<BlockMeta>;
}

/**
 * The engine's fork choice (Lodestar's IForkChoice). It sees only executed blocks. PoW: heaviest
 * cumulative work, first seen wins a tie; PoS: LMD-GHOST from the justified checkpoint.
 */
export interface ForkChoice {
  /** A block was fully validated, executed and stored. */
  onBlock(meta: BlockMeta): void;
  /** An engine message (attestation, equivocation evidence) was accepted. */
  onMessage(message: unknown): void;
  /** Time advanced (slot engines re-evaluate votes and proposer boosts). */
  onTick(now: number): void;
  /** The best head now. */
  getHead(): BlockMeta;
  justified(): Checkpoint;
  finalized(): Checkpoint;
  /** Forgets blocks that do not descend from `finalized` (the chain removed them). */
  prune(finalized: Checkpoint, removed: readonly BlockMeta[]): void;
  /**
   * A cheap check before a child of `parent` with `header` costs execution or storage: PoW refuses
   * a branch whose work falls too far behind the head's. Returns the reason, or undefined to go on.
   * The error must be blameless (senderAtFault false): the answer depends on our own head.
   */
  admits(parent: BlockMeta, header: Header): ConsensusError | undefined;
  /** The opaque weight of a block for the status message. */
  weightOf(meta: BlockMeta): Uint8Array;
}

/** What the chain offers a block producer (miner or proposer). */
export interface ProducerContext {
  /** Builds a full unsealed block on the current head: txs from the mempool, roots computed. */
  buildTemplate(args: {
    beneficiary: Uint8Array;
    timestamp: number;
    engineFields: Uint8Array;
    engineBody?: Uint8Array;
  }): Block;
  /** Hands a sealed block to the outbound publisher and the import pipeline. */
  submitBlock(block: Block): Promise<void>;
  /** Sends an engine message on one of the engine's topics through the node's publisher. */
  publish(topic: string, bytes: Uint8Array): void;
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

/**
 * Options for a producer: the generic beneficiary plus the engine's own section of the node config
 * (PoW: `pow.threads`, `pow.hashrate`), which only the engine reads.
 */
export interface ProducerOptions {
  beneficiary: Uint8Array;
  engine: Readonly<Record<string, unknown>>;
  /** The node's data dir, for the producer's own records (PoS: the slashing-protection DB). */
  dataDir?: string;
}

/**
 * What the node lends its engine once the chain is open: slot engines check gossip against the
 * head state and hand accepted messages to the fork choice through the chain's import queue.
 */
export interface EngineHost {
  /** The head block's post-state (read-only; it changes as the head moves). */
  headState(): StateReader;
  /** Feeds an accepted engine message to the fork choice, then moves the head (chain.onEngineMessage). */
  deliver(message: unknown): Promise<void>;
  /** Sends an engine message on one of the engine's topics through the node's publisher. */
  publish(topic: string, bytes: Uint8Array): void;
  log: EngineLogger;
}

/** A read-scope JSON-RPC method an engine adds (e.g. `pos_validator`); every param is optional. */
export interface EngineRpcMethod {
  name: string;
  description: string;
  /** Param name -> kind: a non-negative integer, or hex of `bytes` bytes. */
  params: Record<string, { kind: "integer" } | { kind: "hex"; bytes: number }>;
  /** Throws a ChainlabError with a code for a request it cannot answer. */
  handler(params: Record<string, number | string | undefined>): unknown;
}

/** A gossip topic an engine owns; p2p registers it under the chain's name prefix. */
export interface EngineTopic {
  /** Short name, e.g. "attestations"; the full topic is /chainlab/<genesis8>/<name>/1. */
  name: string;
  maxBytes: number;
  /** Validates one message: "accept" (relay), "ignore", or throws a ChainlabError (reject if senderAtFault). */
  validate(data: Uint8Array, from: string): Promise<"accept" | "ignore"> | "accept" | "ignore";
}

/** A gauge an engine exports on /metrics (named `chainlab_...`), read once a second. */
export interface EngineMetric {
  name: string;
  help: string;
  value: number;
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
  /** Engine metadata of the genesis block. */
  genesisMeta(): Uint8Array;
  /** Header checks that need no parent (seal, field sanity, far-future time): run before an orphan is pooled. */
  verifyHeaderIntrinsic(header: Header, now: number): void;
  /** Header checks against its parent: seal, difficulty or proposer, timestamps. Throws. */
  verifyHeader(header: Header, parent: BlockMeta, view: ChainView, now: number): void;
  /**
   * Whether the engine body is the one the header commits to. A mismatch is a BLOCK_BODY_MISMATCH
   * (the sender altered the body; the block itself may be fine). Throws.
   */
  verifyBodyCommitment(block: Block): void;
  /** Engine items in the body (attestations, evidence). Throws. */
  verifyBody(block: Block, view: ChainView): void;
  /** Applies a tx of one of `txKinds` after the fee and nonce were taken. Throws TxError. */
  applyEngineTx(tx: Tx, state: StateOverlay, height: number): void;
  /**
   * Engine effects on state after the block's transactions (rewards, slashing, validator changes).
   * Returns the block's engine metadata (stored with the block, handed to the fork choice).
   */
  applyBlock(block: Block, state: StateOverlay, ctx: ApplyContext): Uint8Array;
  /** The fork choice, restored from the stored blocks. */
  createForkChoice(view: ChainView, restore: ForkChoiceRestore): ForkChoice;
  /** Whether a peer with status `theirs` has a better chain than ours (sync from it). */
  isAhead(ours: ChainStatus, theirs: ChainStatus): boolean;
  /** Engine fields for a new block template on `parent` (sealing fields zeroed). */
  prepareFields(parent: BlockMeta, view: ChainView, timestamp: number): Uint8Array;
  /** The block production loop. */
  createProducer(ctx: ProducerContext, options: ProducerOptions): BlockProducer;
  /** The engine's own gossip topics (none for PoW). */
  topics(): EngineTopic[];
  /** How often the node ticks the fork choice (slot engines: a fraction of a slot); 0: never. */
  readonly tickMs: number;
  /** Called once by the node when the chain is open (PoW needs no host). */
  attach?(host: EngineHost): void;
  /** Starts the engine's own services (the node runs the clock that calls the fork choice's onTick). */
  start(): void;
  stop(): Promise<void>;
  /** What `consensus_status` reports. */
  status(view: ChainView, forkChoice: ForkChoice): Record<string, unknown>;
  /** The engine's own read-only RPC methods (none for PoW). */
  rpcMethods?(): EngineRpcMethod[];
  /** The engine's own gauges for /metrics (PoW: hashrate). */
  metrics(): EngineMetric[];
  /** The engine fields of a header in readable form (for RPC and the CLI). */
  describeFields(header: Header): Record<string, unknown>;
  /** The engine metadata of a block in readable form (PoW: { cumulativeWork }). */
  describeMeta(meta: BlockMeta): Record<string, unknown>;
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
  | "BLOCK_BODY_MISMATCH"
  | "BLOCK_REORG_PAST_FINALITY"
  | "BLOCK_NOT_FINALIZED_DESCENDANT"
  | "BLOCK_LOW_WORK_FORK"
  | "CONSENSUS_BAD_PARAMS"
  | "CONSENSUS_UNKNOWN_ENGINE";

/**
 * Codes that depend on the receiver's clock or head, not on the block: a peer that sent such a
 * block is not at fault (IGNORE), and the block is not remembered as invalid.
 */
const BLAMELESS_CONSENSUS_CODES: ReadonlySet<string> = new Set([
  "BLOCK_TIMESTAMP_IN_FUTURE",
  "BLOCK_REORG_PAST_FINALITY",
  "BLOCK_NOT_FINALIZED_DESCENDANT",
  "BLOCK_LOW_WORK_FORK",
]);

/** A block or parameter rejected by the consensus rules. */
export class ConsensusError extends ChainlabError {
  declare readonly code: ConsensusErrorCode;
  constructor(code: ConsensusErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }

  override get senderAtFault(): boolean {
    return !BLAMELESS_CONSENSUS_CODES.has(this.code);
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

/**
 * Decodes a header's engine fields with the engine's decoder; bytes that do not decode are
 * BLOCK_BAD_ENGINE_FIELDS (other errors pass through).
 */
export function decodeEngineFields<T>(header: Header, decode: (bytes: Uint8Array) => T, engine: string): T {
  try {
    return decode(header.engine);
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new ConsensusError("BLOCK_BAD_ENGINE_FIELDS", `bad ${engine} header fields: ${err.message}`);
    }
    throw err;
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
