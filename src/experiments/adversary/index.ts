/**
 * experiments/adversary/: the attacker's toolkit on the node's own hooks (admin RPC and the
 * testnet library), never on patched code: throttled private mining, partitions, withholding and
 * release through the publisher, reading who mined what, and conflicting signed transactions.
 */
export { blockAuthors, type Head, pollUntil, readHead, waitForSameHead } from "./chain-view.ts";
export { startMiner, stopMiner } from "./miner.ts";
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
