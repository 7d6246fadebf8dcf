/**
 * The two judgements sync makes about a peer's status claim, kept apart (and small) because they
 * belong to the consensus engine: today they compare PoW's cumulative work; with an engine-opaque
 * fork-choice weight in the status message their bodies become the engine's answer.
 */
import type { BlockMeta } from "../consensus/engine.ts";
import type { StatusMessage } from "./messages.ts";

/** True when a peer with status `theirs` has a chain we should fetch (it is ahead of `ours`). */
export function peerIsAhead(ours: StatusMessage, theirs: StatusMessage): boolean {
  return theirs.weight > ours.weight;
}

/**
 * True when what a peer delivered in a sync round meets its claimed status: `delivered` is the
 * meta (in our block tree) of the last block it served that connects to our chain, or of the
 * fork point when it served none. Delivering the claimed head hash is not enough: the weight
 * claimed for it must be its real weight.
 */
export function claimMet(claim: StatusMessage, delivered: BlockMeta): boolean {
  return delivered.weight >= claim.weight;
}
