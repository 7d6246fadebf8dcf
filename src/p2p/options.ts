/** Options of the p2p service and their defaults. */
import { P2PError } from "./errors.ts";
import { MAX_RESPONSE_BYTES } from "./protocols.ts";

/** Per-peer limits on what we serve (token buckets, see rate-limit.ts). */
export interface ServeRateLimits {
  /** Requests of any kind per second, and the burst allowed. */
  requestsPerSecond: number;
  requestBurst: number;
  /** Blocks served per second, and the burst allowed. */
  blocksPerSecond: number;
  blockBurst: number;
  /** Block bytes served per second, and the burst allowed (blocks_by_range and blocks_by_hash). */
  bytesPerSecond: number;
  byteBurst: number;
}

/** Everything the p2p service can be configured with. */
export interface P2POptions {
  /** Data dir holding `peer.key`. */
  dataDir: string;
  /** Listen multiaddrs (default: 127.0.0.1 on a free port). */
  listen?: string[];
  /** Addresses to announce instead of the listen addresses. */
  announce?: string[];
  /** Peers to dial at start and keep redialing with backoff. */
  bootstrap?: string[];
  /** Most connected peers. */
  maxPeers?: number;
  /** Invalid messages (gossip REJECTs, bad sync responses) before a peer is banned. */
  banThreshold?: number;
  /** How long a ban lasts. */
  banDurationMs?: number;
  /** Penalty points halve in this time (they are kept by peer id across reconnects). */
  penaltyHalfLifeMs?: number;
  /** Most peers whose penalties are remembered; the least penalized are forgotten first. */
  maxRememberedPeers?: number;
  /** Timeout of one req/resp exchange. */
  requestTimeoutMs?: number;
  /** How often peers' status is refreshed and sync re-checked. */
  statusIntervalMs?: number;
  /** Least time between two sync progress logs. */
  progressLogMs?: number;
  /** Blocks requested per blocks_by_range request (<= 64). */
  syncBatchSize?: number;
  /** blocks_by_range requests kept in flight during sync. */
  syncPipeline?: number;
  /** How long sync passes over a peer that failed or fell short of its claim. */
  syncCooldownMs?: number;
  /** A sync response slower than this is an offence (default: half the request timeout). */
  syncSlowResponseMs?: number;
  /** Most block bytes in one blocks_by_range or blocks_by_hash response we serve. */
  maxResponseBytes?: number;
  /** First and longest redial delays of the exponential backoff. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** Connections per second accepted from one host (libp2p's inbound threshold). */
  inboundConnectionsPerSecond?: number;
  rateLimits?: Partial<ServeRateLimits>;
  /** mDNS discovery is not implemented; only `false` is accepted. */
  mdns?: false;
}

/** Options with every default filled in. */
export type ResolvedP2POptions = Required<Omit<P2POptions, "rateLimits" | "announce" | "mdns">> & {
  announce: string[];
  rateLimits: ServeRateLimits;
};

/** Default listen address: loopback, any free port. */
export const DEFAULT_LISTEN = "/ip4/127.0.0.1/tcp/0";

function positive(name: string, v: number, min = 1): number {
  if (!Number.isFinite(v) || v < min)
    throw new P2PError("P2P_BAD_OPTIONS", `p2p option ${name} must be >= ${min}`, { got: v });
  return v;
}

/** Fills in defaults and checks ranges; throws P2P_BAD_OPTIONS. */
export function resolveOptions(o: P2POptions): ResolvedP2POptions {
  const rl: ServeRateLimits = {
    requestsPerSecond: 50,
    requestBurst: 200,
    blocksPerSecond: 2048,
    blockBurst: 8192,
    bytesPerSecond: 64 * 1024 * 1024,
    byteBurst: 128 * 1024 * 1024,
    ...o.rateLimits,
  };
  for (const [k, v] of Object.entries(rl)) positive(`rateLimits.${k}`, v);
  const r: ResolvedP2POptions = {
    dataDir: o.dataDir,
    listen: o.listen && o.listen.length > 0 ? o.listen : [DEFAULT_LISTEN],
    announce: o.announce ?? [],
    bootstrap: o.bootstrap ?? [],
    maxPeers: positive("maxPeers", o.maxPeers ?? 50),
    banThreshold: positive("banThreshold", o.banThreshold ?? 5),
    banDurationMs: positive("banDurationMs", o.banDurationMs ?? 10 * 60_000),
    penaltyHalfLifeMs: positive("penaltyHalfLifeMs", o.penaltyHalfLifeMs ?? 10 * 60_000),
    maxRememberedPeers: positive("maxRememberedPeers", o.maxRememberedPeers ?? 4096),
    requestTimeoutMs: positive("requestTimeoutMs", o.requestTimeoutMs ?? 10_000, 10),
    statusIntervalMs: positive("statusIntervalMs", o.statusIntervalMs ?? 5_000, 10),
    progressLogMs: positive("progressLogMs", o.progressLogMs ?? 3_000, 0),
    syncBatchSize: positive("syncBatchSize", o.syncBatchSize ?? 64),
    syncPipeline: positive("syncPipeline", o.syncPipeline ?? 3),
    syncCooldownMs: positive("syncCooldownMs", o.syncCooldownMs ?? 5_000, 0),
    syncSlowResponseMs: positive("syncSlowResponseMs", o.syncSlowResponseMs ?? 0, 0),
    maxResponseBytes: positive("maxResponseBytes", o.maxResponseBytes ?? MAX_RESPONSE_BYTES, 1024),
    reconnectBaseMs: positive("reconnectBaseMs", o.reconnectBaseMs ?? 500, 10),
    reconnectMaxMs: positive("reconnectMaxMs", o.reconnectMaxMs ?? 30_000, 10),
    inboundConnectionsPerSecond: positive(
      "inboundConnectionsPerSecond",
      o.inboundConnectionsPerSecond ?? 100,
    ),
    rateLimits: rl,
  };
  if (r.syncSlowResponseMs === 0 || r.syncSlowResponseMs >= r.requestTimeoutMs)
    r.syncSlowResponseMs = Math.floor(r.requestTimeoutMs / 2);
  if (r.maxResponseBytes > MAX_RESPONSE_BYTES)
    throw new P2PError("P2P_BAD_OPTIONS", `p2p option maxResponseBytes must be <= ${MAX_RESPONSE_BYTES}`);
  if (r.syncBatchSize > 64) throw new P2PError("P2P_BAD_OPTIONS", "p2p option syncBatchSize must be <= 64");
  if (o.mdns !== undefined && o.mdns !== false)
    throw new P2PError("P2P_BAD_OPTIONS", "mDNS discovery is not supported");
  return r;
}
