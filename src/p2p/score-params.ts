/**
 * Gossipsub peer scoring, tuned on purpose for chainlab. Honest nodes validate before they forward,
 * so an honest peer never delivers a message we REJECT: invalid deliveries (P4) carry a heavy,
 * squared penalty, and a hostile peer crosses the thresholds after a handful of messages.
 *
 * Thresholds (score < threshold):
 *   gossipThreshold   -400   no IHAVE/IWANT gossip with the peer    (one invalid block)
 *   publishThreshold  -800   our own messages are not flooded to it
 *   graylistThreshold -1600  every RPC from it is dropped unread     (two invalid blocks, four txs)
 * The p2p service also bans (gater) a peer whose score falls below the graylist threshold, because
 * a graylisted peer's messages never reach our validators and so never add to its invalid count.
 *
 * Per topic (topicWeight 1):
 *   P1 time in mesh        +0.02/s, cap 300 s        a small reward for staying (max +6)
 *   P2 first deliveries    +1 each, decay 0.98/s, cap 20   rewards useful relays (max +20)
 *   P3/P3b mesh deliveries disabled (0): blocks come irregularly (PoW), and a delivery quota would
 *                          punish honest but quiet peers
 *   P4 invalid deliveries  counter^2 x -400 (blocks), x -100 (txs, engine topics); decay 0.99/s,
 *                          so the penalty halves in about 70 s of good behaviour
 * Global: topicScoreCap 40 (banked good behaviour cannot hide invalid messages); P5 app-specific
 * score x1 carries our own req/resp penalties (-200 per invalid sync response, -10000 when banned);
 * P6 IP colocation -10 above 8 peers per IP, loopback exempt (local testnets share 127.0.0.1);
 * P7 behaviour (broken IWANT promises, early re-grafts) -10 x excess^2 above 6, decay 0.9/s.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";

/** Score thresholds (see the file comment). */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -400,
  publishThreshold: -800,
  graylistThreshold: -1600,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 3,
};

/** Topic parameters with the given P4 weight. */
export function topicScoreParams(invalidWeight: number): TopicScoreParams {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.02,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.98,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 10,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 60_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: invalidWeight,
    invalidMessageDeliveriesDecay: 0.99,
  };
}

/** P4 weight of the blocks topic: one invalid block reaches the gossip threshold. */
export const BLOCK_INVALID_WEIGHT = -400;
/** P4 weight of the txs topic and of engine topics unless they choose their own. */
export const DEFAULT_INVALID_WEIGHT = -100;

/** Peer score parameters for the given topics; `appScore` is P5 (our own penalties). */
export function peerScoreParams(
  topics: Record<string, TopicScoreParams>,
  appScore: (peerId: string) => number,
): PeerScoreParams {
  return {
    topics,
    topicScoreCap: 40,
    appSpecificScore: appScore,
    appSpecificWeight: 1,
    IPColocationFactorWeight: -10,
    IPColocationFactorThreshold: 8,
    IPColocationFactorWhitelist: new Set(["127.0.0.1", "::1"]),
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 10 * 60_000,
  };
}
