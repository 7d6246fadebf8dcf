/**
 * Checks of a block that need no state, in the layers that decide who is to blame:
 * - verifyBodyMatchesHeader: the body is the one the header commits to (tx root, engine body).
 *   A mismatch is the sender's fault (it altered the body); the block hash stays innocent.
 * - verifyBodyRules: with the body committed, engine body items, duplicate txs and every tx's
 *   stateless rules (no signatures yet). A failure here makes the block hash invalid for good.
 * - verifyBlockSignatures: last, after execution, so a block of unfunded senders costs no
 *   signature checks (cheap state checks before signatures).
 */
import type { ChainView, ConsensusEngine } from "../consensus/engine.ts";
import { type Block, MAX_BLOCK_TXS } from "../core/block.ts";
import { BlockError, ChainlabError } from "../core/errors.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import { merkleRoot } from "../core/merkle.ts";
import { encodeTx, type TxRules, txSigningMessage, verifyTxStatic } from "../core/tx.ts";
import type { SignatureVerifier } from "../crypto/verify-pool.ts";
import type { SignatureCache } from "./signature-cache.ts";

/** Throws BLOCK_BAD_TX_ROOT or BLOCK_BODY_MISMATCH when the body is not the header's. */
export function verifyBodyMatchesHeader(block: Block, engine: ConsensusEngine): void {
  if (block.txs.length > MAX_BLOCK_TXS) throw new BlockError("BLOCK_TOO_LARGE", "too many transactions");
  if (!bytesEqual(merkleRoot(block.txs.map(encodeTx)), block.header.txRoot)) {
    throw new BlockError("BLOCK_BAD_TX_ROOT", "transaction root does not match the body");
  }
  engine.verifyBodyCommitment(block);
}

/** Engine body items, duplicate txs and stateless tx rules (signatures excluded). Returns the tx ids. */
export function verifyBodyRules(
  block: Block,
  ids: readonly Hash[],
  ctx: { engine: ConsensusEngine; rules: TxRules; view: ChainView },
): void {
  ctx.engine.verifyBody(block, ctx.view);
  const seen = new Set<string>();
  block.txs.forEach((tx, i) => {
    const idHex = toHex(ids[i]!);
    if (seen.has(idHex)) throw new BlockError("BLOCK_DUPLICATE_TX", `tx ${i} appears twice`, { index: i });
    seen.add(idHex);
    try {
      verifyTxStatic(tx, ctx.rules, ids[i]!, true);
    } catch (err) {
      if (err instanceof ChainlabError) {
        throw new BlockError("BLOCK_BAD_TX", `tx ${i}: ${err.message}`, { index: i, reason: err.code });
      }
      throw err;
    }
  });
}

/**
 * Verifies every tx signature not already in the cache, as one batch on `verifier` (worker threads);
 * adds the verified ones. Throws BLOCK_BAD_TX naming the first tx whose signature fails. Returns
 * how many it checked.
 */
export async function verifyBlockSignatures(
  block: Block,
  ids: readonly Hash[],
  ctx: { rules: TxRules; sigCache: SignatureCache; verifier: SignatureVerifier },
): Promise<number> {
  const todo: number[] = [];
  block.txs.forEach((tx, i) => {
    if (!ctx.sigCache.has(ids[i]!, tx.signature)) todo.push(i);
  });
  if (todo.length === 0) return 0;
  const valid = await ctx.verifier.verifyEach(
    todo.map((i) => {
      const tx = block.txs[i]!;
      return {
        signature: tx.signature,
        publicKey: tx.from,
        message: txSigningMessage(ids[i]!, ctx.rules.genesisHash),
      };
    }),
  );
  const bad = valid.indexOf(0);
  if (bad >= 0) {
    throw new BlockError("BLOCK_BAD_TX", `tx ${todo[bad]}: signature does not verify for this chain`, {
      index: todo[bad],
      reason: "TX_BAD_SIGNATURE",
    });
  }
  for (const i of todo) ctx.sigCache.add(ids[i]!, block.txs[i]!.signature);
  return todo.length;
}
