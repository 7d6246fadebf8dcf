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
 *   SYNC_SLOW_RESPONSE   a range answered later than syncSlowResponseMs, or not at all (the data
 *                        is still imported; like Core's stalling-peer disconnect, we move on)
 * Repeated offences reach the ban threshold of the peer manager.
 */
import type { ImportResult } from "../chain/chain.ts";
import type { BlockMeta } from "../consensus/engine.ts";
import type { Block } from "../core/block.ts";
import { ChainlabError, describeError } from "../core/errors.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import type { ChainTopics } from "./chain-topics.ts";
import type { FetchedBlock, PeerClient } from "./client.ts";
import type { P2PEvents } from "./events.ts";
import type { StatusMessage } from "./messages.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerManager, PeerRecord } from "./peers.ts";
import { idleSync, type P2PStats, type SyncProgress } from "./stats.ts";
import { claimMet, peerIsAhead } from "./sync-claims.ts";

/** Blocks an ancestor walk follows by hash before it falls back to a range sync. */
export const ANCESTOR_WALK_LIMIT = 32;
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

function isTimeout(err: unknown): boolean {
  return err instanceof ChainlabError && err.code === "P2P_TIMEOUT";
}

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

/** One blocks_by_range request in flight. */
interface Flight {
  at: number;
  sentAt: number;
  doneAt: number;
  req: Promise<FetchedBlock[]>;
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
    const ours = this.d.localStatus();
    const now = Date.now();
    let best: PeerRecord | undefined;
    for (const r of this.d.peers.all()) {
      if (r.status === undefined || !peerIsAhead(ours, r.status)) continue;
      if ((this.cooldown.get(r.id) ?? 0) > now) continue;
      if (best === undefined || peerIsAhead(best.status!, r.status)) best = r;
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
    if (err instanceof ChainlabError && !NOT_PEER_FAULT.has(code)) this.d.onBadPeer(peer, code);
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
    if (!peerIsAhead(this.d.localStatus(), claim)) return;
    const ourHeight = node.chain.head().header.height;
    const fork = await this.findForkPoint(peer, Math.min(ourHeight, claim.headHeight));
    if (fork === undefined) return;
    let tip = fork;
    const p = this.progress;
    Object.assign(p, {
      syncing: true,
      peer: peer.id,
      startHeight: tip.header.height,
      height: ourHeight,
      target: claim.headHeight,
      imported: 0,
      blocksPerSecond: 0,
    });
    const t0 = Date.now();
    let lastLog = t0;
    let next = tip.header.height + 1;
    let inflight: Flight[] = [];
    const launch = (): void => {
      while (inflight.length < this.d.pipeline && next <= claim.headHeight && !this.stopped) {
        const f: Flight = {
          at: next,
          sentAt: Date.now(),
          doneAt: Number.POSITIVE_INFINITY,
          req: client.blocksByRange(peer.peerId, next, this.d.batchSize),
        };
        const done = (): void => {
          f.doneAt = Date.now();
        };
        f.req.then(done, done);
        inflight.push(f);
        next += this.d.batchSize;
      }
    };
    let ended: "empty" | "served" | undefined;
    try {
      launch();
      while (inflight.length > 0 && !this.stopped) {
        const f = inflight.shift()!;
        let batch: FetchedBlock[];
        try {
          batch = await f.req;
        } catch (err) {
          if (isTimeout(err)) {
            this.offence(peer.id, "SYNC_SLOW_RESPONSE", { height: f.at, timedOut: true });
            return;
          }
          throw err;
        }
        if (batch.length === 0) {
          ended = "empty";
          break;
        }
        const first = batch[0]!.block;
        if (first.header.height !== tip.header.height + 1 || !bytesEqual(first.header.parentHash, tip.hash)) {
          await this.orphanRange(peer, claim, first.header.height);
          return;
        }
        for (const fb of batch) {
          const r = await this.d.topics.importFromNetwork(fb.block, "sync", toHex(fb.hash));
          if (r.status === "orphan") {
            // Cannot happen for a connected range unless our tree changed under us: start over.
            this.retryLater(peer.id, RETRY_AFTER_REORG_MS);
            return;
          }
          if (r.status === "head" || r.status === "side") {
            p.imported++;
            p.totalImported++;
          }
          tip = node.chain.view.getMeta(fb.hash) ?? tip;
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
        const ms = f.doneAt - f.sentAt;
        if (ms > this.d.slowResponseMs) {
          this.offence(peer.id, "SYNC_SLOW_RESPONSE", { height: f.at, ms });
          return;
        }
        if (tip.header.height >= claim.headHeight) {
          ended = "served";
          break;
        }
        if (inflight.length > 0 && inflight[0]!.at !== tip.header.height + 1) {
          // A short (byte-capped) response: the requests after it start too high; plan again.
          inflight = [];
          next = tip.header.height + 1;
        }
        if (inflight.length === 0 && next > claim.headHeight) next = tip.header.height + 1;
        launch();
      }
      if (ended === undefined && !this.stopped) ended = "served";
    } finally {
      p.syncing = false;
      p.rounds++;
    }
    if (ended !== undefined && !claimMet(claim, tip)) {
      this.offence(peer.id, ended === "empty" ? "SYNC_EMPTY_RANGE" : "SYNC_CLAIM_NOT_MET", {
        claimedHeight: claim.headHeight,
        deliveredHeight: tip.header.height,
      });
      return;
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

  /**
   * The highest of the peer's canonical blocks (probed at or below `from`) that we know; undefined
   * after a probe answered too slowly (an offence: probes must not be a free way to stall us).
   */
  private async findForkPoint(peer: PeerRecord, from: number): Promise<BlockMeta | undefined> {
    const view = this.d.node.chain.view;
    let h = from;
    let step = 1;
    while (h > 0) {
      const sentAt = Date.now();
      let f: FetchedBlock | undefined;
      try {
        [f] = await this.d.client.blocksByRange(peer.peerId, h, 1);
      } catch (err) {
        if (!isTimeout(err)) throw err;
        this.offence(peer.id, "SYNC_SLOW_RESPONSE", { height: h, timedOut: true, probe: true });
        return undefined;
      }
      const ms = Date.now() - sentAt;
      if (ms > this.d.slowResponseMs) {
        this.offence(peer.id, "SYNC_SLOW_RESPONSE", { height: h, ms, probe: true });
        return undefined;
      }
      const meta = f === undefined ? undefined : view.getMeta(f.hash);
      if (meta !== undefined) return meta;
      h = Math.max(0, h - step);
      step *= 2;
    }
    return view.genesis();
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
        const r = await this.d.topics.importFromNetwork(f.block, "ancestor", toHex(f.hash));
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
