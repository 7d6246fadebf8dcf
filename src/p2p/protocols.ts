/**
 * The responder side of req/resp: status, blocks_by_range and blocks_by_hash. Every request costs a
 * token from the peer's request bucket and every block one from its block bucket; responses stop at
 * MAX_RESPONSE_BYTES (but always carry at least one block, so progress is possible).
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Logger } from "pino";
import { ChainlabError } from "../core/errors.ts";
import { P2PError } from "./errors.ts";
import {
  decodeHashRequest,
  decodeRangeRequest,
  decodeStatus,
  encodeStatus,
  MAX_BLOCK_REQUEST_SIZE,
  MAX_STATUS_SIZE,
  type StatusMessage,
} from "./messages.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerRateLimiter } from "./rate-limit.ts";
import { type RequestHandler, serveStream } from "./reqresp.ts";
import type { P2PStats } from "./stats.ts";
import type { ChainNames } from "./topics.ts";

/** Most block bytes in one response (a single larger block is still sent alone). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Our side of the status handshake. */
export function localStatus(node: P2PNode): StatusMessage {
  return { genesisHash: node.chain.genesisHash, ...node.chain.status() };
}

/** What the responders need. */
export interface ProtocolDeps {
  node: P2PNode;
  names: ChainNames;
  requestLimiter: PeerRateLimiter;
  blockLimiter: PeerRateLimiter;
  timeoutMs: number;
  stats: P2PStats;
  log: Logger;
  /** A peer told us its status by requesting ours; throws P2P_GENESIS_MISMATCH to refuse it. */
  onRemoteStatus(peer: PeerId, status: StatusMessage): void;
  /** A peer sent a malformed request. */
  onBadRequest(peer: string, reason: string): void;
}

/** Registers the three protocol handlers on `libp2p`. */
export async function registerProtocols(libp2p: Libp2p, deps: ProtocolDeps): Promise<void> {
  const { node, names, stats, log } = deps;
  const limitRequest = (peer: PeerId, protocol: string): void => {
    stats.count(stats.requestsIn, protocol);
    if (!deps.requestLimiter.take(peer.toString())) {
      stats.rateLimited++;
      throw new P2PError("P2P_RATE_LIMITED", "too many requests");
    }
  };
  const limitBlocks = (peer: PeerId, n: number): void => {
    if (!deps.blockLimiter.take(peer.toString(), n)) {
      stats.rateLimited++;
      throw new P2PError("P2P_RATE_LIMITED", "too many blocks requested");
    }
  };

  const status: RequestHandler = (peer, request) => {
    limitRequest(peer, "status");
    deps.onRemoteStatus(peer, decodeStatus(request));
    return [encodeStatus(localStatus(node))];
  };

  const byRange: RequestHandler = async function* (peer, request) {
    limitRequest(peer, "blocks_by_range");
    const { startHeight, count } = decodeRangeRequest(request);
    limitBlocks(peer, count);
    let total = 0;
    for (let h = startHeight; h < startHeight + count; h++) {
      const meta = node.chain.view.getCanonical(h);
      if (meta === undefined) break;
      const bytes = await node.chain.getBlockBytes(meta.hash);
      if (bytes === undefined) break;
      if (total > 0 && total + bytes.length > MAX_RESPONSE_BYTES) break;
      total += bytes.length;
      yield bytes;
    }
  };

  const byHash: RequestHandler = async function* (peer, request) {
    limitRequest(peer, "blocks_by_hash");
    const hashes = decodeHashRequest(request);
    limitBlocks(peer, hashes.length);
    let total = 0;
    for (const hash of hashes) {
      const bytes = await node.chain.getBlockBytes(hash);
      if (bytes === undefined) continue;
      if (total > 0 && total + bytes.length > MAX_RESPONSE_BYTES) break;
      total += bytes.length;
      yield bytes;
    }
  };

  const onError = (err: unknown, peer: PeerId): void => {
    const code = err instanceof ChainlabError ? err.code : "INTERNAL";
    if (code === "P2P_RATE_LIMITED" || code === "P2P_GENESIS_MISMATCH") return;
    if (code.startsWith("DECODE_") || code === "P2P_BAD_REQUEST" || code === "P2P_FRAME_TOO_LARGE") {
      deps.onBadRequest(peer.toString(), code);
      return;
    }
    log.debug({ peer: peer.toString(), code }, "request failed");
  };

  const serve = (maxRequestBytes: number, handler: RequestHandler) => {
    return (stream: Parameters<typeof serveStream>[0], connection: Parameters<typeof serveStream>[1]) =>
      serveStream(stream, connection, { timeoutMs: deps.timeoutMs, maxRequestBytes }, handler, onError);
  };
  const opts = { maxInboundStreams: 16, maxOutboundStreams: 16 };
  await libp2p.handle(names.status, serve(MAX_STATUS_SIZE, status), opts);
  await libp2p.handle(names.blocksByRange, serve(10, byRange), opts);
  await libp2p.handle(names.blocksByHash, serve(MAX_BLOCK_REQUEST_SIZE, byHash), opts);
}
