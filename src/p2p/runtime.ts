/**
 * The parts of the service that exist only while the host runs: the req/resp client and
 * responders (with their rate limiters), sync, and the status handshake, wired to each other.
 */
import type { Logger } from "pino";
import { refuseConflictingFinality } from "./chain-status.ts";
import type { ChainTopics } from "./chain-topics.ts";
import { PeerClient } from "./client.ts";
import { P2PError } from "./errors.ts";
import type { P2PEvents } from "./events.ts";
import { Handshake } from "./handshake.ts";
import type { Host } from "./host.ts";
import type { P2PNode } from "./node-port.ts";
import type { ResolvedP2POptions } from "./options.ts";
import type { PeerManager } from "./peers.ts";
import { localStatus, registerProtocols } from "./protocols.ts";
import { PeerRateLimiter } from "./rate-limit.ts";
import type { P2PStats } from "./stats.ts";
import { SyncManager } from "./sync.ts";
import { peerIsAhead } from "./sync-claims.ts";
import type { ChainNames } from "./topics.ts";

/** What the runtime is built from. */
export interface RuntimeContext {
  host: Host;
  node: P2PNode;
  names: ChainNames;
  opts: ResolvedP2POptions;
  stats: P2PStats;
  events: P2PEvents;
  log: Logger;
  peers: PeerManager;
  topics: ChainTopics;
  /** A peer sent invalid data (counted and maybe banned; `weight` penalty points, default 1). */
  onBadPeer(peer: string, reason: string, weight?: number): void;
}

/** The running components. */
export interface Runtime {
  client: PeerClient;
  sync: SyncManager;
  handshake: Handshake;
}

/** Builds the client, sync and handshake and registers the responders on the (unstarted) host. */
export async function buildRuntime(c: RuntimeContext): Promise<Runtime> {
  const { host, node, names, opts, stats, peers } = c;
  const client = new PeerClient(host, names, opts.requestTimeoutMs, stats);
  const sync = new SyncManager({
    node,
    client,
    peers,
    topics: c.topics,
    stats,
    events: c.events,
    log: c.log,
    batchSize: opts.syncBatchSize,
    pipeline: opts.syncPipeline,
    progressLogMs: opts.progressLogMs,
    cooldownMs: opts.syncCooldownMs,
    slowResponseMs: opts.syncSlowResponseMs,
    localStatus: () => localStatus(node),
    onBadPeer: c.onBadPeer,
  });
  const handshake = new Handshake({
    node,
    client,
    peers,
    sync,
    statusProtocol: names.status,
    log: c.log,
    protocolsOf: async (peer) => (await host.peerStore.get(peer)).protocols,
  });
  const rl = opts.rateLimits;
  await registerProtocols(host, {
    node,
    names,
    requestLimiter: new PeerRateLimiter({ burst: rl.requestBurst, perSecond: rl.requestsPerSecond }),
    blockLimiter: new PeerRateLimiter({ burst: rl.blockBurst, perSecond: rl.blocksPerSecond }),
    byteLimiter: new PeerRateLimiter({ burst: rl.byteBurst, perSecond: rl.bytesPerSecond }),
    maxResponseBytes: opts.maxResponseBytes,
    byteBurst: rl.byteBurst,
    timeoutMs: opts.requestTimeoutMs,
    stats,
    log: c.log,
    onRemoteStatus: (peer, status) => {
      if (!peers.recordStatus(peer, status))
        throw new P2PError("P2P_GENESIS_MISMATCH", "peer is on another chain");
      if (refuseConflictingFinality(node, peers, peer.toString(), status))
        throw new P2PError("P2P_FINALIZED_CONFLICT", "peer finalized a conflicting chain");
      if (peerIsAhead(node, localStatus(node), status)) sync.trigger();
    },
    onBadRequest: c.onBadPeer,
  });
  return { client, sync, handshake };
}
