/**
 * The connection gater: refuses dials to and connections from banned peers (until the ban expires)
 * and from peers on the other side of a test partition. The caller closes existing connections.
 */
import type { ConnectionGater, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";

/** A ban: why and until when. */
export interface Ban {
  reason: string;
  until: number;
}

/** Bans kept at most: past it, expired bans go, then the one ending soonest (ids are free to make). */
export const MAX_BANS = 8192;

/** Ban and partition lists consulted by libp2p's connection gater hooks. */
export class PeerGate {
  private readonly bans = new Map<string, Ban>();
  private readonly partitioned = new Set<string>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Bans `peer` for `durationMs` (extends an existing ban, never shortens it). */
  ban(peer: string, reason: string, durationMs: number): void {
    const until = this.now() + durationMs;
    const old = this.bans.get(peer);
    if (old === undefined && this.bans.size >= MAX_BANS) this.evict();
    if (old === undefined || old.until < until) this.bans.set(peer, { reason, until });
  }

  private evict(): void {
    let soonest: string | undefined;
    let soonestUntil = Number.POSITIVE_INFINITY;
    for (const [id, b] of this.bans) {
      if (this.banOf(id) === undefined) continue;
      if (b.until < soonestUntil) {
        soonest = id;
        soonestUntil = b.until;
      }
    }
    if (this.bans.size >= MAX_BANS && soonest !== undefined) this.bans.delete(soonest);
  }

  unban(peer: string): void {
    this.bans.delete(peer);
  }

  /** The active ban of `peer`, dropping it when expired. */
  banOf(peer: string): Ban | undefined {
    const b = this.bans.get(peer);
    if (b !== undefined && b.until <= this.now()) {
      this.bans.delete(peer);
      return undefined;
    }
    return b;
  }

  /** Active bans by peer id. */
  activeBans(): Map<string, Ban> {
    for (const id of [...this.bans.keys()]) this.banOf(id);
    return new Map(this.bans);
  }

  /** Blocks every peer in `peers` (in addition to those already blocked). */
  partition(peers: Iterable<string>): void {
    for (const p of peers) this.partitioned.add(p);
  }

  /** Lifts the partition; returns the peers that were blocked. */
  heal(): string[] {
    const was = [...this.partitioned];
    this.partitioned.clear();
    return was;
  }

  isPartitioned(peer: string): boolean {
    return this.partitioned.has(peer);
  }

  /** True when no connection with `peer` may exist. */
  isBlocked(peer: string): boolean {
    return this.partitioned.has(peer) || this.banOf(peer) !== undefined;
  }

  /** The libp2p ConnectionGater backed by these lists. */
  gater(): ConnectionGater {
    const deny = (peerId: PeerId): boolean => this.isBlocked(peerId.toString());
    const denyAddr = (ma: Multiaddr): boolean => {
      const id = ma.getComponents().find((c) => c.name === "p2p")?.value;
      return id !== undefined && this.isBlocked(id);
    };
    return {
      denyDialPeer: deny,
      denyDialMultiaddr: denyAddr,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      denyInboundUpgradedConnection: deny,
      denyOutboundUpgradedConnection: deny,
    };
  }
}
