/**
 * The two judgements sync makes about a peer's status claim. Both are the consensus engine's: the
 * status carries the engine's opaque fork-choice weight, and only the engine compares weights.
 */
import type { BlockMeta, ChainStatus } from "../consensus/engine.ts";
import type { StatusMessage } from "./messages.ts";
import type { P2PNode } from "./node-port.ts";

/** True when a peer with status `theirs` has a chain we should fetch (it is ahead of `ours`). */
export function peerIsAhead(node: P2PNode, ours: ChainStatus, theirs: ChainStatus): boolean {
  return node.engine.isAhead(ours, theirs);
}

/**
 * True when what a peer delivered in a sync round meets its claimed status: `delivered` is the
 * meta (in our block tree) of the last block it served that connects to our chain, or of the
 * fork point when it served none. Delivering the claimed head hash is not enough: the claim must
 * not be ahead of what was delivered, by the engine's own weights.
 */
export function claimMet(node: P2PNode, claim: StatusMessage, delivered: BlockMeta): boolean {
  const got: ChainStatus = {
    headHash: delivered.hash,
    headHeight: delivered.header.height,
    finalized: claim.finalized,
    weight: node.chain.weightOf(delivered),
  };
  return !node.engine.isAhead(got, claim);
}
