/**
 * The p2p service: composes the host, gossip router, req/resp protocols, peer manager, dialer and
 * sync around one node, with a start/stop lifecycle and the control surface used by the node, the
 * RPC and experiments (connect, partition/heal, gossip delay/drop, bans, stats).
 */
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import type { Logger } from "pino";
import type { EngineTopic } from "../consensus/engine.ts";
import { type Block, encodeBlock, headerHash } from "../core/block.ts";
import { ChainlabError, describeError } from "../core/errors.ts";
import { toHex } from "../core/hash.ts";
import { ChainTopics } from "./chain-topics.ts";
import { Dialer, parseMultiaddr } from "./dialer.ts";
import { P2PError } from "./errors.ts";
import { P2PEvents } from "./events.ts";
import { PeerGate } from "./gater.ts";
import { accept, type GossipFault, GossipRouter, ignore, reject, type TopicRegistration } from "./gossip.ts";
import type { Handshake } from "./handshake.ts";
import { createHost, type Host } from "./host.ts";
import { watchHost } from "./host-events.ts";
import type { P2PNode } from "./node-port.ts";
import { type P2POptions, type ResolvedP2POptions, resolveOptions } from "./options.ts";
import { loadOrCreatePeerKey } from "./peer-key.ts";
import { type PeerInfo, PeerManager } from "./peers.ts";
import { buildRuntime } from "./runtime.ts";
import { SCORE_THRESHOLDS } from "./score-params.ts";
import { idleSync, P2PStats, type P2PStatsSnapshot } from "./stats.ts";
import type { SyncManager } from "./sync.ts";
import { type ChainNames, chainNames, scopedName } from "./topics.ts";

/** Dependencies injected into the service. */
export interface P2PDeps {
  log: Logger;
}

/** The running network layer of one node. */
export class P2PService {
  /** This node's libp2p peer id (stable across restarts: the key lives in the data dir). */
  readonly peerId: string;
  /** Topic and protocol names of this chain. */
  readonly names: ChainNames;
  private readonly node: P2PNode;
  private readonly opts: ResolvedP2POptions;
  private readonly log: Logger;
  private readonly privateKey: PrivateKey;
  private readonly statsData = new P2PStats();
  private readonly gate = new PeerGate();
  private readonly events: P2PEvents;
  private readonly router: GossipRouter;
  private readonly topics: ChainTopics;
  private readonly peerManager: PeerManager;
  private host: Host | undefined;
  private dialer: Dialer | undefined;
  private sync: SyncManager | undefined;
  private handshake: Handshake | undefined;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void)[] = [];
  private state: "new" | "started" | "stopped" = "new";

  /** Use createP2P(). */
  constructor(node: P2PNode, opts: ResolvedP2POptions, privateKey: PrivateKey, deps: P2PDeps) {
    this.node = node;
    this.opts = opts;
    this.privateKey = privateKey;
    this.peerId = peerIdFromPrivateKey(privateKey).toString();
    this.log = deps.log.child({ module: "p2p" });
    this.names = chainNames(node.chain.genesisHash);
    this.events = new P2PEvents((err) =>
      this.log.error({ err: describeError(err) }, "p2p event listener failed"),
    );
    this.router = new GossipRouter({
      stats: this.statsData,
      log: this.log,
      onInvalid: (peer, reason) => this.peerManager.recordInvalid(peer, reason),
      relayAction: (topic, data, from) => node.outbound.relayAction(topic, data, from),
      isPartitioned: (peer) => this.gate.isPartitioned(peer),
    });
    this.topics = new ChainTopics(node);
    this.peerManager = new PeerManager({
      gate: this.gate,
      stats: this.statsData,
      events: this.events,
      log: this.log,
      genesisHash: node.chain.genesisHash,
      banThreshold: opts.banThreshold,
      banDurationMs: opts.banDurationMs,
      penalties: { halfLifeMs: opts.penaltyHalfLifeMs, maxPeers: opts.maxRememberedPeers },
    });
    this.topics.register(this.router, this.names, (p, b, r) => this.sync?.onOrphan(p, b, r));
    for (const t of node.engine.topics()) this.registerTopic(engineTopicRegistration(t));
  }

  /** Adds an engine topic `/chainlab/<genesis8>/<name>/1` (before start); returns the full topic. */
  registerTopic(reg: TopicRegistration): string {
    const topic = scopedName(this.node.chain.genesisHash, reg.name);
    this.router.register(topic, reg);
    return topic;
  }

  /** Publishes on a topic by its short name ("blocks", "txs", an engine topic) through the node's publisher. */
  async publish(name: string, data: Uint8Array): Promise<void> {
    await this.node.outbound.publish(name, data);
  }

  /**
   * Publishes a block this node just sealed, before importing it, so peers start validating while
   * we import (the relay then skips it). For the producer path only: the block must be valid.
   */
  async announceBlock(block: Block): Promise<void> {
    this.topics.markAnnounced(toHex(headerHash(block.header)));
    await this.node.outbound.publish("blocks", encodeBlock(block));
  }

  /** Subscribes to service events (peer connected/banned/status, sync done). */
  on: P2PEvents["on"] = (name, listener) => this.events.on(name, listener);

  private requireHost(): Host {
    if (this.host === undefined || this.state !== "started")
      throw new P2PError("P2P_NOT_STARTED", "p2p service is not running");
    return this.host;
  }

  /** Builds and starts the host, registers protocols and topics, dials the bootstrap peers. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new P2PError("P2P_ALREADY_STARTED", "p2p service can be started once");
    const bootstrap = this.opts.bootstrap.map(parseMultiaddr);
    const host = await createHost({
      privateKey: this.privateKey,
      listen: this.opts.listen,
      announce: this.opts.announce,
      gater: this.gate.gater(),
      maxPeers: this.opts.maxPeers,
      inboundConnectionsPerSecond: this.opts.inboundConnectionsPerSecond,
      topics: this.router.scoreTopics(),
      appScore: (peer) => this.peerManager.appScore(peer),
    });
    this.host = host;
    try {
      await this.startHost(host);
    } catch (err) {
      for (const u of this.unsubscribe.splice(0)) u();
      this.router.detach();
      await Promise.resolve()
        .then(() => host.stop())
        .catch(() => {});
      this.state = "stopped";
      if (err instanceof P2PError) throw err;
      throw new P2PError("P2P_START_FAILED", `p2p could not start: ${(err as Error).message}`, {
        listen: this.opts.listen,
      });
    }
    this.state = "started";
    this.dialer = new Dialer({
      libp2p: host,
      log: this.log,
      baseMs: this.opts.reconnectBaseMs,
      maxMs: this.opts.reconnectMaxMs,
      maxPeers: this.opts.maxPeers,
      isBlocked: (peer) => this.gate.isBlocked(peer),
    });
    const statusTimer = setInterval(() => this.handshake?.refreshAll(), this.opts.statusIntervalMs);
    statusTimer.unref();
    this.timers.push(statusTimer);
    this.log.info(
      { peerId: this.peerId, addrs: this.multiaddrs(), network: this.names.status },
      "p2p started",
    );
    for (const addr of bootstrap) void this.dialer.add(addr);
  }

  /** Wires the runtime, host events, topics and relay to `host`, and starts it. */
  private async startHost(host: Host): Promise<void> {
    const pubsub = host.services.pubsub;
    this.peerManager.attach(host, (peer) =>
      (pubsub as unknown as { getScore(p: string): number }).getScore(peer),
    );
    const rt = await buildRuntime({
      host,
      node: this.node,
      names: this.names,
      opts: this.opts,
      stats: this.statsData,
      events: this.events,
      log: this.log,
      peers: this.peerManager,
      topics: this.topics,
      onBadPeer: (peer, reason, weight) => this.onBadPeer(peer, reason, weight),
    });
    this.sync = rt.sync;
    this.handshake = rt.handshake;
    this.unsubscribe.push(
      watchHost(host, {
        connected: (peer) => {
          this.peerManager.added(peer);
          this.events.emit("peer:connected", { peer: peer.toString() });
        },
        disconnected: (peer) => {
          this.peerManager.removed(peer);
          this.dialer?.onDisconnect(peer);
          this.events.emit("peer:disconnected", { peer });
        },
        // A peer whose identify failed gets its status on the next periodic refresh.
        identified: (result) => this.handshake?.onIdentify(result),
        heartbeat: () => this.peerManager.checkScores(SCORE_THRESHOLDS.graylistThreshold),
      }),
    );
    await host.start();
    this.router.attach(pubsub);
    this.node.outbound.attach((name, data) =>
      this.router.publish(scopedName(this.node.chain.genesisHash, name), data),
    );
    this.unsubscribe.push(
      this.topics.relay(
        (bytes) => void this.node.outbound.publish("blocks", bytes),
        (bytes) => void this.node.outbound.publish("txs", bytes),
      ),
    );
  }

  private onBadPeer(peer: string, reason: string, weight = 1): void {
    this.statsData.count(this.statsData.rejections, reason);
    this.peerManager.recordInvalid(peer, reason, weight);
  }

  /** Stops timers, sync and the host. */
  async stop(): Promise<void> {
    if (this.state !== "started") {
      this.state = "stopped";
      return;
    }
    this.state = "stopped";
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const u of this.unsubscribe.splice(0)) u();
    this.dialer?.stop();
    this.router.detach();
    // Stop sync first (no new requests), then the host (in-flight requests fail fast), then wait.
    const syncStopped = this.sync?.stop();
    await this.host?.stop();
    await syncStopped;
    this.log.info("p2p stopped");
  }

  /** Our listen addresses, each ending in /p2p/<peerId>. */
  multiaddrs(): string[] {
    return (this.host?.getMultiaddrs() ?? []).map((m) => m.toString());
  }

  /** Peer id and listen addresses (what the daemon publishes in node.json). */
  info(): { peerId: string; multiaddrs: string[] } {
    return { peerId: this.peerId, multiaddrs: this.multiaddrs() };
  }

  /** Number of connected peers. */
  peerCount(): number {
    return this.peerManager.all().length;
  }

  /** Connected peers with their last status, gossip score and invalid count. */
  peers(): PeerInfo[] {
    return this.peerManager.info();
  }

  /** Dials `addr` and keeps redialing it with backoff if it drops. */
  async connect(addr: string): Promise<void> {
    this.requireHost();
    const ok = await this.dialer!.add(parseMultiaddr(addr));
    if (!ok) throw new P2PError("P2P_DIAL_FAILED", `could not connect to ${addr} (will retry with backoff)`);
  }

  /** Bans a peer through the gater and disconnects it. */
  ban(peer: string, reason = "MANUAL", durationMs = this.opts.banDurationMs): void {
    this.peerManager.ban(peer, reason, {}, durationMs);
  }

  /** Lifts a ban early. */
  unban(peer: string): void {
    this.peerManager.unban(peer);
  }

  /** Blocks the given peers (dials and inbound refused, connections closed) until heal(). */
  partition(peerIds: readonly string[]): void {
    this.gate.partition(peerIds);
    for (const id of peerIds) this.peerManager.disconnect(id, "PARTITION");
    this.log.info({ peers: peerIds.length }, "partitioned");
  }

  /** Lifts the partition and reconnects; sync follows from the status exchange. */
  heal(): void {
    const was = this.gate.heal();
    this.log.info({ peers: was.length }, "partition healed");
    if (this.state !== "started") return;
    this.dialer?.redialAll();
    for (const id of was) {
      void this.host
        ?.dial(peerIdFromString(id), { signal: AbortSignal.timeout(10_000) })
        .catch((err: unknown) => {
          this.log.debug({ peer: id, err: describeError(err) }, "redial after heal failed");
        });
    }
  }

  /** Sets the inbound gossip fault rules (delay or drop per topic and per peer; [] turns them off). */
  setGossipFaults(faults: readonly GossipFault[]): void {
    this.router.setFaults(faults);
  }

  /** The inbound gossip fault rules in force. */
  gossipFaults(): GossipFault[] {
    return this.router.currentFaults();
  }

  /** Starts a sync round now if a peer is heavier. */
  syncNow(): void {
    this.sync?.trigger();
  }

  /** Counters: messages, verdicts, rejections by reason, bans, requests, sync progress. */
  stats(): P2PStatsSnapshot {
    return this.statsData.snapshot({
      peers: this.peerManager.all().length,
      activeBans: this.gate.activeBans().size,
      sync: this.sync?.progress ?? idleSync(),
    });
  }
}

/** A gossip registration for an engine topic: the engine's answer, or the verdict its error carries. */
function engineTopicRegistration(t: EngineTopic): TopicRegistration {
  return {
    name: t.name,
    maxBytes: t.maxBytes,
    validate: async (data, from) => {
      try {
        return (await t.validate(data, from)) === "accept" ? accept() : ignore("engine");
      } catch (err) {
        if (err instanceof ChainlabError) return err.senderAtFault ? reject(err.code) : ignore(err.code);
        throw err;
      }
    },
  };
}

/** Creates the p2p service for `node` (loads or creates `<dataDir>/peer.key`; does not start it). */
export async function createP2P(node: P2PNode, options: P2POptions, deps: P2PDeps): Promise<P2PService> {
  const opts = resolveOptions(options);
  const key = await loadOrCreatePeerKey(opts.dataDir, deps.log.child({ module: "p2p" }));
  return new P2PService(node, opts, key, deps);
}
