/**
 * Chain sync. When a peer's status shows more weight than our head, fetch its canonical chain in
 * blocks_by_range batches (several requests in flight while the previous batch imports) from just
 * above the highest of its blocks we know; that fork point is found by probing single blocks at
 * exponentially growing distances below our height. A gossiped orphan triggers an ancestor walk by
 * hash from the peer that sent it, or a range sync when it is far ahead.
 */
import type { ImportResult } from "../chain/chain.ts";
import type { Block } from "../core/block.ts";
import { ChainlabError, describeError } from "../core/errors.ts";
import { type Hash, toHex } from "../core/hash.ts";
import { betterThan, peerIsAhead, refuseConflictingFinality } from "./chain-status.ts";
import type { ChainTopics } from "./chain-topics.ts";
import type { FetchedBlock, PeerClient } from "./client.ts";
import type { P2PEvents } from "./events.ts";
import type { StatusMessage } from "./messages.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerManager, PeerRecord } from "./peers.ts";
import { idleSync, type P2PStats, type SyncProgress } from "./stats.ts";

/** Blocks an ancestor walk follows by hash before it falls back to a range sync. */
export const ANCESTOR_WALK_LIMIT = 32;
/** How long a peer that failed us is passed over. */
const COOLDOWN_MS = 5_000;
/** How long before retrying a peer whose chain changed during a round. */
const RETRY_AFTER_REORG_MS = 500;
/** Errors of a peer's blocks that are not its fault. */
const NOT_PEER_FAULT = new Set([
  "BLOCK_TIMESTAMP_IN_FUTURE",
  "BLOCK_REORG_PAST_FINALITY",
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
  localStatus(): StatusMessage;
  /** A peer served invalid data. */
  onBadPeer(peer: string, reason: string): void;
}

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
    const node = this.d.node;
    const now = Date.now();
    let best: PeerRecord | undefined;
    for (const r of this.d.peers.all()) {
      if (r.status === undefined || !peerIsAhead(node, r.status)) continue;
      if ((this.cooldown.get(r.id) ?? 0) > now) continue;
      if (best === undefined || betterThan(node, r.status, best.status!)) best = r;
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
    this.cooldown.set(peer, Date.now() + COOLDOWN_MS);
    if (err instanceof ChainlabError && !NOT_PEER_FAULT.has(code)) this.d.onBadPeer(peer, code);
    this.d.log.debug({ peer, err: describeError(err) }, msg);
  }

  private async round(peer: PeerRecord): Promise<void> {
    const { node, client, log } = this.d;
    const status = await client.status(peer.peerId, this.d.localStatus());
    if (!this.d.peers.recordStatus(peer.peerId, status)) return;
    if (refuseConflictingFinality(node, this.d.peers, peer.id, status)) return;
    if (!peerIsAhead(node, status)) return;
    const ourHeight = node.chain.head().header.height;
    const start = await this.findStart(peer, Math.min(ourHeight, status.headHeight));
    const p = this.progress;
    Object.assign(p, {
      syncing: true,
      peer: peer.id,
      startHeight: start - 1,
      height: ourHeight,
      target: status.headHeight,
      imported: 0,
      blocksPerSecond: 0,
    });
    const t0 = Date.now();
    let lastLog = t0;
    let next = start;
    const inflight: { at: number; req: Promise<FetchedBlock[]> }[] = [];
    const launch = (): void => {
      while (inflight.length < this.d.pipeline && next <= status.headHeight && !this.stopped) {
        const req = client.blocksByRange(peer.peerId, next, this.d.batchSize);
        req.catch(() => {});
        inflight.push({ at: next, req });
        next += this.d.batchSize;
      }
    };
    try {
      launch();
      while (inflight.length > 0 && !this.stopped) {
        const batch = await inflight.shift()!.req;
        launch();
        for (const f of batch) {
          const r = await this.d.topics.importFromNetwork(
            f.block,
            { kind: "sync", peer: peer.id },
            toHex(f.hash),
          );
          if (r.status === "orphan") {
            // The peer reorganized under us: start over shortly.
            this.retryLater(peer.id, RETRY_AFTER_REORG_MS);
            return;
          }
          if (r.status === "head" || r.status === "side") {
            p.imported++;
            p.totalImported++;
          }
        }
        p.height = node.chain.head().header.height;
        const now = Date.now();
        p.blocksPerSecond = Math.round((p.imported * 1000) / Math.max(1, now - t0));
        if (now - lastLog >= this.d.progressLogMs) {
          lastLog = now;
          log.info(
            { peer: peer.id, height: p.height, target: p.target, blocksPerSecond: p.blocksPerSecond },
            "syncing",
          );
        }
        if (batch.length < this.d.batchSize) break;
      }
    } finally {
      p.syncing = false;
      p.rounds++;
    }
    if (p.imported === 0) this.cooldown.set(peer.id, Date.now() + COOLDOWN_MS);
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

  /** One above the highest height at which the peer's canonical block is known to us. */
  private async findStart(peer: PeerRecord, from: number): Promise<number> {
    const view = this.d.node.chain.view;
    let h = from;
    let step = 1;
    while (h > 0) {
      const [f] = await this.d.client.blocksByRange(peer.peerId, h, 1);
      if (f !== undefined && view.getMeta(f.hash) !== undefined) return h + 1;
      h = Math.max(0, h - step);
      step *= 2;
    }
    return 1;
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
