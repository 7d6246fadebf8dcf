/**
 * Chain sync. When a peer's status shows it ahead of us (peerIsAhead), fetch its canonical chain in
 * blocks_by_range batches (several requests in flight while the previous batch imports) from just
 * above the highest of its blocks we know; that fork point is found by probing single blocks at
 * exponentially growing distances below our height. A gossiped orphan triggers an ancestor walk by
 * hash from the peer that sent it, or a range sync when it is far ahead.
 *
 * A status is a claim the peer must back (Bitcoin Core checks that headers carry the work a peer
 * announces; Lodestar's range sync penalizes peers whose batches fail). Offences, each penalized
 * through onBadPeer and followed by a cooldown so the next best peer is tried:
 *   SYNC_CLAIM_NOT_MET   it stopped serving before what it delivered met its claim (claimMet)
 *   SYNC_EMPTY_RANGE     same, ending with an empty range
 *   SYNC_ORPHAN_RANGE    a range whose first block does not extend what it served before (half
 *                        weight when its head changed meanwhile: an honest reorg looks the same)
 *   SYNC_SLOW_RESPONSE   a range or fork-point probe answered later than syncSlowResponseMs, or
 *                        not at all (a slow range's blocks are still imported; like Core's
 *                        stalling-peer disconnect, we move on)
 * The download itself (fork-point probe, pipelined ranges) is sync-range.ts.
 * Repeated offences reach the ban threshold of the peer manager.
 */
import type { ImportResult } from "../chain/chain.ts";
import type { Block } from "../core/block.ts";
import { ChainlabError, describeError } from "../core/errors.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import { refuseConflictingFinality } from "./chain-status.ts";
import type { ChainTopics } from "./chain-topics.ts";
import type { PeerClient } from "./client.ts";
import type { P2PEvents } from "./events.ts";
import type { StatusMessage } from "./messages.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerManager, PeerRecord } from "./peers.ts";
import { idleSync, type P2PStats, type SyncProgress } from "./stats.ts";
import { claimMet, peerIsAhead } from "./sync-claims.ts";
import { downloadRange, findForkPoint, type RangeContext, type RangeOutcome } from "./sync-range.ts";

/** Blocks an ancestor walk follows by hash before it falls back to a range sync. */
export const ANCESTOR_WALK_LIMIT = 32;
/** How long before retrying a peer whose chain changed during a round. */
const RETRY_AFTER_REORG_MS = 500;
/** Errors of a peer's blocks that are not its fault. */
const NOT_PEER_FAULT = new Set([
  "P2P_TIMEOUT",
  "P2P_RATE_LIMITED",
  "P2P_STREAM_CLOSED",
  "P2P_PROTOCOL_UNSUPPORTED",
  "P2P_REMOTE_ERROR",
]);

/** What sync needs. */
export interface SyncDeps {
  node: P2PNode;
  client: PeerClient;
  peers: PeerManager;
  topics: ChainTopics;
  stats: P2PStats;
  events: P2PEvents;
  log: {
    info(o: object, m: string): void;
    debug(o: object, m: string): void;
    warn(o: object, m: string): void;
  };
  batchSize: number;
  pipeline: number;
  progressLogMs: number;
  /** How long a peer that failed us is passed over. */
  cooldownMs: number;
  /** A range response slower than this is an offence. */
  slowResponseMs: number;
  localStatus(): StatusMessage;
  /** A peer served invalid data or broke its claim (`weight` penalty points, default 1). */
  onBadPeer(peer: string, reason: string, weight?: number): void;
}

/** Offences of a syncing peer (see the file comment). */
export type SyncOffence =
  | "SYNC_CLAIM_NOT_MET"
  | "SYNC_EMPTY_RANGE"
  | "SYNC_ORPHAN_RANGE"
  | "SYNC_SLOW_RESPONSE";

/** The sync driver: one round at a time, re-checked after every round. */
export class SyncManager {
  private readonly d: SyncDeps;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly cooldown = new Map<string, number>();
  private readonly walking = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  readonly progress: SyncProgress = idleSync();

  constructor(deps: SyncDeps) {
    this.d = deps;
  }

  /** Starts a round if some peer is heavier; while one runs, schedules another after it. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops new work at once; resolves when the running round and ancestor walks have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([this.running, ...this.tasks]);
  }

  private track(task: Promise<void>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  private bestPeer(): PeerRecord | undefined {
    const ours = this.d.localStatus();
    const now = Date.now();
    let best: PeerRecord | undefined;
    for (const r of this.d.peers.all()) {
      if (r.status === undefined || !peerIsAhead(this.d.node, ours, r.status)) continue;
      if ((this.cooldown.get(r.id) ?? 0) > now) continue;
      if (best === undefined || peerIsAhead(this.d.node, best.status!, r.status)) best = r;
    }
    return best;
  }

  private async loop(): Promise<void> {
    for (let guard = 0; guard < 1000 && !this.stopped; guard++) {
      this.again = false;
      const peer = this.bestPeer();
      if (peer === undefined) {
        if (this.again) continue;
        return;
      }
      try {
        await this.round(peer);
      } catch (err) {
        this.fail(peer.id, err, "sync round failed");
      }
    }
  }

  /** Passes over `peer` for `ms`, then re-checks. */
  private retryLater(peer: string, ms: number): void {
    this.cooldown.set(peer, Date.now() + ms);
    setTimeout(() => this.trigger(), ms).unref();
  }

  private fail(peer: string, err: unknown, msg: string): void {
    const code = err instanceof ChainlabError ? err.code : "INTERNAL";
    this.retryLater(peer, this.d.cooldownMs);
    // Errors carry their blame (our head, clock or storage are never the peer's fault).
    if (err instanceof ChainlabError && err.senderAtFault && !NOT_PEER_FAULT.has(code))
      this.d.onBadPeer(peer, code);
    this.d.log.debug({ peer, err: describeError(err) }, msg);
  }

  /** Penalizes `peer` for a sync offence and passes over it for a while (another peer goes next). */
  private offence(peer: string, code: SyncOffence, data: object, weight = 1): void {
    this.d.stats.count(this.d.stats.syncOffences, code);
    this.d.log.info({ peer, code, ...data }, "sync offence");
    this.d.onBadPeer(peer, code, weight);
    this.retryLater(peer, this.d.cooldownMs);
    this.again = true;
  }

  private async round(peer: PeerRecord): Promise<void> {
    const { node, client, log } = this.d;
    const claim = await client.status(peer.peerId, this.d.localStatus());
    if (!this.d.peers.recordStatus(peer.peerId, claim)) return;
    if (refuseConflictingFinality(this.d.node, this.d.peers, peer.id, claim)) return;
    if (!peerIsAhead(this.d.node, this.d.localStatus(), claim)) return;
    const ourHeight = node.chain.head().header.height;
    const probe = await findForkPoint(
      this.rangeContext(() => {}),
      peer,
      Math.min(ourHeight, claim.headHeight),
    );
    if (probe.kind === "slow") {
      const { height, ms, timedOut } = probe;
      this.offence(peer.id, "SYNC_SLOW_RESPONSE", { height, ms, timedOut, probe: true });
      return;
    }
    const fork = probe.tip;
    const p = this.progress;
    Object.assign(p, {
      syncing: true,
      peer: peer.id,
      startHeight: fork.header.height,
      height: ourHeight,
      target: claim.headHeight,
      imported: 0,
      blocksPerSecond: 0,
    });
    const t0 = Date.now();
    let lastLog = t0;
    let outcome: RangeOutcome;
    try {
      outcome = await downloadRange(
        this.rangeContext(() => {
          p.height = node.chain.head().header.height;
          const now = Date.now();
          p.blocksPerSecond = Math.round((p.imported * 1000) / Math.max(1, now - t0));
          if (now - lastLog < this.d.progressLogMs) return;
          lastLog = now;
          log.info(
            { peer: peer.id, height: p.height, target: p.target, blocksPerSecond: p.blocksPerSecond },
            "syncing",
          );
        }),
        peer,
        claim,
        fork,
      );
    } finally {
      p.syncing = false;
      p.rounds++;
    }
    const delivered = { claimedHeight: claim.headHeight, deliveredHeight: outcome.tip.header.height };
    switch (outcome.kind) {
      case "stopped":
        return;
      case "retry":
        this.retryLater(peer.id, RETRY_AFTER_REORG_MS);
        return;
      case "orphan":
        await this.orphanRange(peer, claim, outcome.height);
        return;
      case "slow": {
        const { height, ms, timedOut } = outcome;
        this.offence(peer.id, "SYNC_SLOW_RESPONSE", { height, ms, timedOut });
        return;
      }
      case "empty":
      case "served":
        if (!claimMet(this.d.node, claim, outcome.tip)) {
          const code = outcome.kind === "empty" ? "SYNC_EMPTY_RANGE" : "SYNC_CLAIM_NOT_MET";
          this.offence(peer.id, code, delivered);
          return;
        }
    }
    if (p.imported === 0) this.cooldown.set(peer.id, Date.now() + this.d.cooldownMs);
    else {
      const secs = (Date.now() - t0) / 1000;
      log.info(
        {
          peer: peer.id,
          height: p.height,
          imported: p.imported,
          seconds: Math.round(secs * 10) / 10,
          blocksPerSecond: p.blocksPerSecond,
        },
        "sync round complete",
      );
      this.d.events.emit("sync:done", { peer: peer.id, height: p.height, imported: p.imported });
    }
    this.again = true;
  }

  private rangeContext(onBatch: () => void): RangeContext {
    const p = this.progress;
    return {
      node: this.d.node,
      client: this.d.client,
      topics: this.d.topics,
      batchSize: this.d.batchSize,
      pipeline: this.d.pipeline,
      slowResponseMs: this.d.slowResponseMs,
      stopped: () => this.stopped,
      onImported: () => {
        p.imported++;
        p.totalImported++;
      },
      onBatch,
    };
  }

  /**
   * A range that does not extend the blocks the peer served before. If its head is unchanged it
   * served blocks of no chain it has (full offence); if it changed, it may have reorganized.
   */
  private async orphanRange(peer: PeerRecord, claim: StatusMessage, height: number): Promise<void> {
    let now: StatusMessage | undefined;
    try {
      now = await this.d.client.status(peer.peerId, this.d.localStatus());
      this.d.peers.recordStatus(peer.peerId, now);
    } catch {
      now = undefined;
    }
    const moved = now !== undefined && !bytesEqual(now.headHash, claim.headHash);
    this.offence(peer.id, "SYNC_ORPHAN_RANGE", { height, headChanged: moved }, moved ? 0.5 : 1);
  }

  /** A gossiped block whose parent we lack: walk its ancestors from `peer`, or range-sync if far. */
  onOrphan(peer: string, block: Block, result: ImportResult): void {
    const record = this.d.peers.get(peer);
    if (record === undefined || this.stopped) return;
    const gap = block.header.height - this.d.node.chain.head().header.height;
    const missing = result.missingParent;
    if (gap > ANCESTOR_WALK_LIMIT || missing === undefined) {
      this.track(this.refreshThenTrigger(record));
      return;
    }
    const key = toHex(missing);
    if (this.walking.has(key) || this.progress.syncing) return;
    this.walking.add(key);
    this.track(this.walkAncestors(record, missing).finally(() => this.walking.delete(key)));
  }

  private async walkAncestors(peer: PeerRecord, missing: Hash): Promise<void> {
    let hash: Hash | undefined = missing;
    try {
      for (let i = 0; i < ANCESTOR_WALK_LIMIT && hash !== undefined; i++) {
        if (this.d.node.chain.view.getMeta(hash) !== undefined) return;
        const [f] = await this.d.client.blocksByHash(peer.peerId, [hash]);
        if (f === undefined) break;
        const r = await this.d.topics.importFromNetwork(
          f.block,
          { kind: "ancestor", peer: peer.id },
          toHex(f.hash),
        );
        if (r.status !== "orphan") return;
        hash = r.missingParent;
      }
    } catch (err) {
      this.fail(peer.id, err, "ancestor fetch failed");
      return;
    }
    await this.refreshThenTrigger(peer);
  }

  /** Asks `peer` for its status (it may be ahead of what we last heard), then re-checks sync. */
  async refreshThenTrigger(peer: PeerRecord): Promise<void> {
    try {
      const status = await this.d.client.status(peer.peerId, this.d.localStatus());
      if (!this.d.peers.recordStatus(peer.peerId, status)) return;
    } catch (err) {
      this.d.log.debug({ peer: peer.id, err: describeError(err) }, "status refresh failed");
    }
    this.trigger();
  }
}
