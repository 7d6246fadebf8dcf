/**
 * Builds the libp2p host: TCP, Noise, Yamux, identify, ping and gossipsub with chainlab's scoring,
 * content-addressed message ids and size limits. Gossip messages are unsigned (StrictNoSign): a
 * message is identified by its content, and the peer that relayed an invalid one is the one scored.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import type { TopicScoreParams } from "@libp2p/gossipsub/score";
import { type Identify, identify } from "@libp2p/identify";
import type { ConnectionGater, Libp2p, PrivateKey } from "@libp2p/interface";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { MAX_BLOCK_SIZE } from "../core/block.ts";
import { sha256, utf8 } from "../core/hash.ts";
import { peerScoreParams, SCORE_THRESHOLDS } from "./score-params.ts";

/** The services of a chainlab host. */
export interface HostServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
}

/** A chainlab libp2p host. */
export type Host = Libp2p<HostServices>;

/** What the host is built from. */
export interface HostConfig {
  privateKey: PrivateKey;
  listen: string[];
  announce: string[];
  gater: ConnectionGater;
  maxPeers: number;
  inboundConnectionsPerSecond: number;
  topics: Record<string, TopicScoreParams>;
  appScore(peer: string): number;
}

/** Room for the gossipsub RPC envelope around a maximum-size block. */
const RPC_OVERHEAD = 64 * 1024;

/** Creates (without starting) the libp2p host. */
export async function createHost(cfg: HostConfig): Promise<Host> {
  return createLibp2p<HostServices>({
    start: false,
    privateKey: cfg.privateKey,
    addresses: { listen: cfg.listen, ...(cfg.announce.length > 0 ? { announce: cfg.announce } : {}) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: cfg.gater,
    connectionManager: {
      maxConnections: cfg.maxPeers,
      inboundConnectionThreshold: cfg.inboundConnectionsPerSecond,
      maxIncomingPendingConnections: 32,
      dialTimeout: 10_000,
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: "StrictNoSign",
        msgIdFn: (msg) => sha256(utf8(msg.topic), msg.data).subarray(0, 20),
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        fallbackToFloodsub: false,
        floodPublish: true,
        doPX: false,
        emitSelf: false,
        allowedTopics: Object.keys(cfg.topics),
        maxInboundDataLength: MAX_BLOCK_SIZE + RPC_OVERHEAD,
        maxOutboundBufferSize: 8 * (MAX_BLOCK_SIZE + RPC_OVERHEAD),
        scoreParams: peerScoreParams(cfg.topics, cfg.appScore),
        scoreThresholds: SCORE_THRESHOLDS,
      }),
    },
  });
}
