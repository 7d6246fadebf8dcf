/**
 * Checks of a block that need no state: height, engine header rules, sizes, the transaction root,
 * engine body items, duplicate transactions and every transaction's stateless rules and signature.
 * A block that passes may be stored; state checks happen when it is connected.
 */
import type { BlockMeta, ChainView, ConsensusEngine } from "../consensus/engine.ts";
import { type Block, MAX_BLOCK_TXS } from "../core/block.ts";
import { BlockError, ChainlabError } from "../core/errors.ts";
import { bytesEqual, toHex } from "../core/hash.ts";
import { merkleRoot } from "../core/merkle.ts";
import { encodeTx, type TxRules, txId, verifyTxStatic } from "../core/tx.ts";
import type { SignatureCache } from "./signature-cache.ts";

/** Everything stateless validation needs. */
export interface ValidateContext {
  engine: ConsensusEngine;
  rules: TxRules;
  view: ChainView;
  now: number;
  sigCache: SignatureCache;
}

/** Throws BlockError or ConsensusError when `block` cannot be a child of `parent`. */
export function verifyBlockStateless(block: Block, parent: BlockMeta, ctx: ValidateContext): void {
  const { header } = block;
  if (header.height !== parent.header.height + 1) {
    throw new BlockError(
      "BLOCK_BAD_HEIGHT",
      `height ${header.height}, parent is at ${parent.header.height}`,
      {
        got: header.height,
        expected: parent.header.height + 1,
      },
    );
  }
  ctx.engine.verifyHeader(header, parent, ctx.view, ctx.now);
  if (block.txs.length > MAX_BLOCK_TXS) throw new BlockError("BLOCK_TOO_LARGE", "too many transactions");
  const encoded = block.txs.map(encodeTx);
  if (!bytesEqual(merkleRoot(encoded), header.txRoot)) {
    throw new BlockError("BLOCK_BAD_TX_ROOT", "transaction root does not match the body");
  }
  ctx.engine.verifyBody(block, ctx.view);
  const seen = new Set<string>();
  block.txs.forEach((tx, i) => {
    const id = txId(tx);
    const idHex = toHex(id);
    if (seen.has(idHex)) throw new BlockError("BLOCK_DUPLICATE_TX", `tx ${i} appears twice`, { index: i });
    seen.add(idHex);
    const cached = ctx.sigCache.has(id, tx.signature);
    try {
      verifyTxStatic(tx, ctx.rules, id, cached);
    } catch (err) {
      if (err instanceof ChainlabError) {
        throw new BlockError("BLOCK_BAD_TX", `tx ${i}: ${err.message}`, { index: i, reason: err.code });
      }
      throw err;
    }
    if (!cached) ctx.sigCache.add(id, tx.signature);
  });
}
