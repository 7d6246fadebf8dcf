/**
 * The peer table: connected peers with their latest status, the status check (another genesis
 * means another chain: disconnect and ban), penalties keyed by peer id (a PenaltyBook that outlives
 * connections, so reconnecting does not reset them), and bans for peers whose penalties pass the
 * threshold or whose gossip score falls below the graylist threshold.
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Logger } from "pino";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import type { P2PEvents } from "./events.ts";
import type { PeerGate } from "./gater.ts";
import type { StatusMessage } from "./messages.ts";
import { PenaltyBook, type PenaltyConfig } from "./penalties.ts";
import type { P2PStats } from "./stats.ts";

/** One connected peer as the manager tracks it. */
export interface PeerRecord {
  id: string;
  peerId: PeerId;
  connectedAt: number;
  status: StatusMessage | undefined;
  statusAt: number;
}

/** A peer as peers() reports it. */
export interface PeerInfo {
  id: string;
  addrs: string[];
  direction: "inbound" | "outbound" | undefined;
  connectedAt: number;
  /** `weight` is the engine's opaque fork-choice weight, in hex. */
  head: { hash: string; height: number; weight: string; finalizedHeight: number } | undefined;
  score: number;
  invalid: number;
}

/** App score (gossipsub P5) per penalty point, and of a banned peer. */
const APP_SCORE_PER_POINT = -200;
const APP_SCORE_BANNED = -10_000;
/** Decay forgiven when comparing with the threshold: N offences within ~20 s count as N. */
const BAN_SLACK = 0.05;

/** Dependencies of the peer manager. */
export interface PeerManagerDeps {
  gate: PeerGate;
  stats: P2PStats;
  events: P2PEvents;
  log: Logger;
  genesisHash: Hash;
  banThreshold: number;
  banDurationMs: number;
  /** Decay and memory bound of the penalties. */
  penalties: PenaltyConfig;
  now?: () => number;
}

/** Connected peers, statuses, penalties and bans. */
export class PeerManager {
  private readonly deps: PeerManagerDeps;
  private readonly records = new Map<string, PeerRecord>();
  private readonly penalties: PenaltyBook;
  private libp2p: Libp2p | undefined;
  private gossipScore: (peer: string) => number = () => 0;
  private readonly now: () => number;

  constructor(deps: PeerManagerDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.penalties = new PenaltyBook(deps.penalties, this.now);
  }

  /** Binds the host and the gossip score source once libp2p exists. */
  attach(libp2p: Libp2p, gossipScore: (peer: string) => number): void {
    this.libp2p = libp2p;
    this.gossipScore = gossipScore;
  }

  added(peerId: PeerId): PeerRecord {
    const id = peerId.toString();
    let r = this.records.get(id);
    if (r === undefined) {
      r = {
        id,
        peerId,
        connectedAt: this.now(),
        status: undefined,
        statusAt: 0,
      };
      this.records.set(id, r);
    }
    return r;
  }

  /** The peer disconnected: its record goes, its penalties stay. */
  removed(peer: string): void {
    this.records.delete(peer);
  }

  get(peer: string): PeerRecord | undefined {
    return this.records.get(peer);
  }

  all(): PeerRecord[] {
    return [...this.records.values()];
  }

  /** Records a peer's status; false (and the peer is dropped and banned) when it is on another chain. */
  recordStatus(peerId: PeerId, status: StatusMessage): boolean {
    if (!bytesEqual(status.genesisHash, this.deps.genesisHash)) {
      this.ban(peerId.toString(), "GENESIS_MISMATCH", {
        theirs: toHex(status.genesisHash),
        ours: toHex(this.deps.genesisHash),
      });
      return false;
    }
    const r = this.added(peerId);
    r.status = status;
    r.statusAt = this.now();
    this.deps.events.emit("peer:status", { peer: r.id, status });
    return true;
  }

  /** The P5 application score gossipsub adds: our own penalties. */
  appScore(peer: string): number {
    if (this.deps.gate.banOf(peer) !== undefined) return APP_SCORE_BANNED;
    return APP_SCORE_PER_POINT * this.penalties.points(peer);
  }

  /** The peer's decayed penalty points (also after it disconnected). */
  penaltyOf(peer: string): number {
    return this.penalties.points(peer);
  }

  /**
   * Counts an offence of `peer` worth `weight` points (1: an invalid message); bans it when its
   * points reach the threshold. Works for peers that are no longer connected.
   */
  recordInvalid(peer: string, reason: string, weight = 1): void {
    const points = this.penalties.add(peer, weight, reason);
    this.deps.events.emit("peer:penalized", { peer, reason, points });
    if (points >= this.deps.banThreshold - BAN_SLACK) {
      this.ban(peer, "TOO_MANY_INVALID_MESSAGES", { last: reason, invalid: Math.round(points * 100) / 100 });
    }
  }

  /** Bans peers whose gossip score fell below `graylist` (their messages no longer reach us). */
  checkScores(graylist: number): void {
    for (const r of this.records.values()) {
      const score = this.gossipScore(r.id);
      if (score < graylist) this.ban(r.id, "GOSSIP_SCORE_GRAYLISTED", { score: Math.round(score) });
    }
  }

  /** Bans `peer` through the gater and closes its connections. */
  ban(
    peer: string,
    reason: string,
    data: Record<string, unknown> = {},
    durationMs = this.deps.banDurationMs,
  ): void {
    const already = this.deps.gate.banOf(peer) !== undefined;
    this.deps.gate.ban(peer, reason, durationMs);
    this.penalties.hold(peer, this.deps.gate.banOf(peer)?.until ?? this.now() + durationMs);
    if (!already) {
      this.deps.stats.bans++;
      this.deps.log.warn({ peer, reason, ...data, banMs: durationMs }, "banned peer");
      this.deps.events.emit("peer:banned", { peer, reason, untilMs: this.now() + durationMs });
    }
    this.disconnect(peer, reason);
  }

  /** Lifts `peer`'s ban and forgets its penalties (an operator's decision). */
  unban(peer: string): void {
    this.deps.gate.unban(peer);
    this.penalties.forget(peer);
  }

  /** Closes every connection to `peer`, counting the reason. */
  disconnect(peer: string, reason: string): void {
    const libp2p = this.libp2p;
    if (libp2p === undefined) return;
    const conns = libp2p.getConnections().filter((c) => c.remotePeer.toString() === peer);
    if (conns.length === 0) return;
    this.deps.stats.count(this.deps.stats.disconnects, reason);
    for (const c of conns) {
      c.close().catch((err: Error) => c.abort(err));
    }
  }

  /** The peer table as peers() reports it. */
  info(): PeerInfo[] {
    const libp2p = this.libp2p;
    return this.all().map((r) => {
      const conns = libp2p?.getConnections().filter((c) => c.remotePeer.toString() === r.id) ?? [];
      const s = r.status;
      return {
        id: r.id,
        addrs: conns.map((c) => c.remoteAddr.toString()),
        direction: conns[0]?.direction,
        connectedAt: r.connectedAt,
        head: s && {
          hash: toHex(s.headHash),
          height: s.headHeight,
          weight: toHex(s.weight),
          finalizedHeight: s.finalized.height,
        },
        score: this.gossipScore(r.id),
        invalid: Math.round(this.penalties.points(r.id) * 100) / 100,
      };
    });
  }
}
