/**
 * p2p/: the network layer of a node. It owns the libp2p host (TCP, Noise, Yamux, identify, ping,
 * gossipsub) and its persistent peer key, the gossip topics scoped by the genesis hash with their
 * validators, size caps and tuned peer scoring, the status / blocks_by_range / blocks_by_hash
 * req/resp protocols with bounds, timeouts and per-peer rate limits, chain sync and ancestor fetch,
 * peer management (bootstrap, backoff redial, max peers, bans through the connection gater) and the
 * experiment controls (partition, heal, gossip delay and drop). It may import core/, chain/ and
 * mempool/ types and consensus/engine.ts; node/ passes itself in as a P2PNode (see node-port.ts).
 */
export { P2PError, type P2PErrorCode } from "./errors.ts";
export type { P2PEventMap } from "./events.ts";
export type { GossipFault } from "./gossip.ts";
export {
  accept,
  type GossipValidation,
  GossipVerdict,
  ignore,
  reject,
  type TopicHandler,
  type TopicRegistration,
  type TopicValidator,
} from "./gossip.ts";
export type { StatusMessage } from "./messages.ts";
export type { ImportSource, OutboundPort, P2PChain, P2PNode } from "./node-port.ts";
export { DEFAULT_LISTEN, type P2POptions, type ServeRateLimits } from "./options.ts";
export { PEER_KEY_FILE } from "./peer-key.ts";
export type { PeerInfo } from "./peers.ts";
export { SCORE_THRESHOLDS } from "./score-params.ts";
export { createP2P, type P2PDeps, P2PService } from "./service.ts";
export type { P2PStatsSnapshot, SyncProgress } from "./stats.ts";
export { type ChainNames, chainNames, networkId } from "./topics.ts";
export { decodeTxBatch, encodeTxBatch, MAX_TX_BATCH, TxBatcher } from "./tx-batch.ts";
