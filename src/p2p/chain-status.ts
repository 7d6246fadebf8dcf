/**
 * Reading a peer's status against our finality: whether its finalized checkpoint conflicts with
 * ours (it is on another finalized chain, and nothing it sends can ever be ours: ban it). Whether a
 * peer is ahead is the engine's answer (sync-claims.ts).
 */
import { bytesEqual, toHex } from "../core/hash.ts";
import type { StatusMessage } from "./messages.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerManager } from "./peers.ts";

/**
 * True when the peer's finalized block cannot be on our finalized chain. Our canonical chain up to
 * our finalized height never changes, so a peer finalized at or below it must agree with it; a
 * peer finalized above it must, if we know its block, descend from ours. An unknown block tells
 * nothing yet.
 */
export function finalityConflicts(node: P2PNode, theirs: StatusMessage): boolean {
  const chain = node.chain;
  const ours = chain.finalized();
  const view = chain.view;
  if (theirs.finalized.height <= ours.height) {
    const at = view.getCanonical(theirs.finalized.height);
    return at !== undefined && !bytesEqual(at.hash, theirs.finalized.hash);
  }
  const known = view.getMeta(theirs.finalized.hash);
  if (known === undefined) return false;
  const ancestor = view.ancestorAt(known, ours.height);
  return ancestor === undefined || !bytesEqual(ancestor.hash, ours.hash);
}

/** Bans a peer whose finalized chain conflicts with ours; true when it did. */
export function refuseConflictingFinality(
  node: P2PNode,
  peers: PeerManager,
  peer: string,
  status: StatusMessage,
): boolean {
  if (!finalityConflicts(node, status)) return false;
  peers.ban(peer, "FINALIZED_CONFLICT", {
    theirs: { height: status.finalized.height, hash: toHex(status.finalized.hash) },
    ours: { height: node.chain.finalized().height, hash: toHex(node.chain.finalized().hash) },
  });
  return true;
}
