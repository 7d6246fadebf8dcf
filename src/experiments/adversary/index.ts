/**
 * experiments/adversary/: the attacker's toolkit on the node's own hooks (admin RPC and the
 * testnet library), never on patched code: throttled private mining, partitions, withholding and
 * release through the publisher, gossip delay and drop, reading who mined what, conflicting and
 * replayed signed transactions, captured signed RPC requests, forged messages and a raw libp2p peer.
 */
export {
  type BlockView,
  blockAuthors,
  canonicalBlocks,
  type Head,
  inclusionCounts,
  pollUntil,
  readHead,
  readTip,
  type Tip,
  waitForBlock,
  waitForSameHead,
} from "./chain-view.ts";
export { badSignatureTx, brokenSealBlock, garbage } from "./forge.ts";
export {
  type GossipFaultRule,
  gossipVerdicts,
  setGossipFault,
  type VerdictCounts,
  verdictsSince,
  waitForVerdicts,
} from "./gossip.ts";
export { type HonestLoad, type LoadSender, startHonestLoad } from "./honest-load.ts";
export {
  convergeStopped,
  mineBlocks,
  startMiner,
  stopAndAgree,
  stopMiner,
  waitUntilHashing,
} from "./miner.ts";
export { setNodeConfig } from "./node-config.ts";
export {
  type CheckpointView,
  type PosStatusView,
  readPosStatus,
  type SlashedView,
  waitForEpoch,
  waitForFinalizedEpoch,
} from "./pos.ts";
export {
  type PublisherCounts,
  publisherCounts,
  type RaceRelease,
  releaseBlocks,
  releaseFirstTo,
  sendBlocks,
  withholdBlocks,
} from "./publish.ts";
export {
  delayed,
  emptyResponse,
  fabricatedRange,
  fetchBlockBytes,
  type HostileOptions,
  type HostilePeer,
  type Script,
  serveRange,
  startHostile,
} from "./raw-peer.ts";
export { raceFollowers, type SelfishCounts, SelfishMiner, type SelfishNodes } from "./selfish-miner.ts";
export {
  alterCaptured,
  type CapturedRequest,
  type DeliveryResult,
  deliverCaptured,
  signCaptured,
} from "./signed-requests.ts";
export {
  type ChainIdentity,
  chainIdentity,
  conflictingTransfers,
  openAccount,
  type SignedTx,
  type SubmitOutcome,
  signTransfer,
  submitRaw,
  submitTx,
  txStatus,
  type Wallet,
  withChainId,
} from "./transactions.ts";
