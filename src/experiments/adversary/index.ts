/**
 * experiments/adversary/: the attacker's toolkit on the node's own hooks (admin RPC and the
 * testnet library), never on patched code: throttled private mining, partitions, withholding and
 * release through the publisher, reading who mined what, and conflicting signed transactions.
 */
export {
  blockAuthors,
  type Head,
  pollUntil,
  readHead,
  readTip,
  type Tip,
  waitForBlock,
  waitForSameHead,
} from "./chain-view.ts";
export { startMiner, stopAndAgree, stopMiner } from "./miner.ts";
export {
  type PublisherCounts,
  publisherCounts,
  type RaceRelease,
  releaseBlocks,
  releaseFirstTo,
  sendBlocks,
  withholdBlocks,
} from "./publish.ts";
export { raceFollowers, type SelfishCounts, SelfishMiner, type SelfishNodes } from "./selfish-miner.ts";
export {
  type ChainIdentity,
  chainIdentity,
  conflictingTransfers,
  openAccount,
  type SignedTx,
  signTransfer,
  submitTx,
  txStatus,
  type Wallet,
} from "./transactions.ts";
