/** Executes a block on a state overlay: transactions, then the engine's effects. */
import type { BlockMeta, ChainView, ConsensusEngine } from "../consensus/engine.ts";
import type { Block } from "../core/block.ts";
import { BlockError, ChainlabError } from "../core/errors.ts";
import type { StateOverlay } from "../core/state.ts";
import { applyTx } from "../core/state-transition.ts";

/**
 * Applies every tx and the engine effects; throws BlockError BLOCK_BAD_TX naming the failing tx.
 * Returns the block's engine metadata.
 */
export function executeBlock(
  block: Block,
  state: StateOverlay,
  engine: ConsensusEngine,
  view: ChainView,
  parent: BlockMeta,
): Uint8Array {
  let fees = 0n;
  const height = block.header.height;
  const engineTx = engine.applyEngineTx.bind(engine);
  block.txs.forEach((tx, i) => {
    try {
      fees += applyTx(state, tx, height, engineTx);
    } catch (err) {
      if (err instanceof ChainlabError) {
        throw new BlockError("BLOCK_BAD_TX", `tx ${i}: ${err.message}`, { index: i, reason: err.code });
      }
      throw err;
    }
  });
  return engine.applyBlock(block, state, { view, parent, fees });
}
