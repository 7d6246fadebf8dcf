/** JSON views of blocks, headers and transactions, shared by the RPC and the CLI. */
import type { BlockMeta, ConsensusEngine } from "../consensus/engine.ts";
import type { Block, Header } from "../core/block.ts";
import { type Hash, toHex } from "../core/hash.ts";
import { type Tx, txId, txKindName } from "../core/tx.ts";
import { addressOf, encodeAddress } from "../crypto/address.ts";

/** A transaction as JSON (amounts as decimal strings). */
export function txToJson(tx: Tx, id: Hash = txId(tx)): Record<string, unknown> {
  return {
    id: toHex(id),
    kind: txKindName(tx.kind),
    chainId: tx.chainId,
    from: addressOf(tx.from),
    fromPublicKey: toHex(tx.from),
    to: encodeAddress(tx.to),
    amount: tx.amount.toString(),
    fee: tx.fee.toString(),
    nonce: tx.nonce,
    expiresAt: tx.expiresAt,
    payload: toHex(tx.payload),
    signature: toHex(tx.signature),
  };
}

/** A header as JSON, with the engine's fields decoded. */
export function headerToJson(hash: Hash, header: Header, engine: ConsensusEngine): Record<string, unknown> {
  return {
    hash: toHex(hash),
    height: header.height,
    parentHash: toHex(header.parentHash),
    timestamp: header.timestamp,
    time: new Date(header.timestamp).toISOString(),
    txRoot: toHex(header.txRoot),
    stateRoot: toHex(header.stateRoot),
    beneficiary: encodeAddress(header.beneficiary),
    engine: engine.describeFields(header),
  };
}

/** A block as JSON; `full` includes transactions, otherwise only their ids. */
export function blockToJson(
  hash: Hash,
  block: Block,
  engine: ConsensusEngine,
  opts: { full?: boolean; meta?: BlockMeta; canonical?: boolean } = {},
): Record<string, unknown> {
  return {
    ...headerToJson(hash, block.header, engine),
    ...(opts.meta ? engine.describeMeta(opts.meta) : {}),
    ...(opts.canonical !== undefined ? { canonical: opts.canonical } : {}),
    txCount: block.txs.length,
    txs: opts.full ? block.txs.map((tx) => txToJson(tx)) : block.txs.map((tx) => toHex(txId(tx))),
  };
}
