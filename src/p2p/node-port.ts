/**
 * The narrow view of a chainlab node that p2p depends on. node/ sits above p2p, so p2p never imports
 * it: ChainlabNode satisfies this interface structurally and is passed in by the composition root.
 */
import type { HeadChange, ImportResult } from "../chain/chain.ts";

/** Where an imported block came from: gossip (unrequested) or a request of ours, and from whom. */
export interface ImportSource {
  kind: "gossip" | "sync" | "ancestor" | "local" | "rpc";
  peer?: string;
  /** Encoded size, when known. */
  bytes?: number;
}

import type { BlockMeta, ChainStatus, ChainView, Checkpoint, EngineTopic } from "../consensus/engine.ts";
import type { Block } from "../core/block.ts";
import type { Hash } from "../core/hash.ts";
import type { Tx } from "../core/tx.ts";
import type { AddResult, MempoolAddedEvent } from "../mempool/index.ts";

/** What p2p reads from the chain. */
export interface P2PChain {
  readonly genesisHash: Hash;
  readonly view: ChainView;
  head(): BlockMeta;
  /** The fork choice's finalized checkpoint. */
  finalized(): Checkpoint;
  /** Our head as the status message announces it. */
  status(): ChainStatus;
  /** The fork choice's opaque weight of a block (as a status would announce it). */
  weightOf(meta: BlockMeta): Uint8Array;
  getBlockBytes(hash: Hash): Promise<Uint8Array | undefined>;
  hasBlock(hash: Hash): boolean;
  onHeadChange(listener: (c: HeadChange) => void): () => void;
}

/**
 * The node's outbound publisher as p2p sees it: p2p hands it the gossip send function, sends our
 * own messages through it, and asks it before forwarding a validated message. Topics are short
 * names ("blocks", "txs", engine topics).
 */
export interface OutboundPort {
  attach(send: (topic: string, data: Uint8Array) => Promise<void>): void;
  publish(topic: string, data: Uint8Array): Promise<void>;
  relayAction(topic: string, data: Uint8Array, from: string): Promise<"relay" | "drop">;
}

/** The node operations p2p drives: import blocks, admit txs, hear about local ones. */
export interface P2PNode {
  readonly chain: P2PChain;
  readonly mempool: { onAdded(listener: (e: MempoolAddedEvent) => void): () => void };
  readonly engine: { isAhead(ours: ChainStatus, theirs: ChainStatus): boolean; topics(): EngineTopic[] };
  readonly outbound: OutboundPort;
  importBlock(block: Block, source: ImportSource): Promise<ImportResult>;
  onBlockImported(listener: (block: Block, result: ImportResult) => void): () => void;
  submitTx(input: Tx | Uint8Array): AddResult;
}
