/**
 * The narrow view of a chainlab node that p2p depends on. node/ sits above p2p, so p2p never imports
 * it: ChainlabNode satisfies this interface structurally and is passed in by the composition root.
 */
import type { HeadChange, ImportResult } from "../chain/chain.ts";
import type { BlockMeta, ChainView } from "../consensus/engine.ts";
import type { Block } from "../core/block.ts";
import type { Hash } from "../core/hash.ts";
import type { Tx } from "../core/tx.ts";
import type { AddResult, MempoolAddedEvent } from "../mempool/index.ts";

/** What p2p reads from the chain. */
export interface P2PChain {
  readonly genesisHash: Hash;
  readonly view: ChainView;
  head(): BlockMeta;
  getBlockBytes(hash: Hash): Promise<Uint8Array | undefined>;
  hasBlock(hash: Hash): boolean;
  onHeadChange(listener: (c: HeadChange) => void): () => void;
}

/** The node operations p2p drives: import blocks, admit txs, hear about local ones. */
export interface P2PNode {
  readonly chain: P2PChain;
  readonly mempool: { onAdded(listener: (e: MempoolAddedEvent) => void): () => void };
  readonly engine: { finalizedHeight(view: ChainView): number };
  importBlock(block: Block, source: string): Promise<ImportResult>;
  onBlockImported(listener: (block: Block, result: ImportResult) => void): () => void;
  submitTx(input: Tx | Uint8Array): AddResult;
}
