/** Block templates: a full unsealed block on the head from candidate transactions. */
import type { ChainView, ConsensusEngine } from "../consensus/engine.ts";
import { type Block, HEADER_VERSION } from "../core/block.ts";
import { ChainlabError } from "../core/errors.ts";
import type { LtHash } from "../core/lthash.ts";
import { merkleRoot } from "../core/merkle.ts";
import { StateOverlay, type StateReader, updateLtHash } from "../core/state.ts";
import { applyTx } from "../core/state-transition.ts";
import { encodeTx, type Tx } from "../core/tx.ts";

/** What a producer supplies for a template. */
export interface TemplateArgs {
  beneficiary: Uint8Array;
  timestamp: number;
  engineFields: Uint8Array;
  /** Candidate transactions in priority order (from the mempool). */
  txs: readonly Tx[];
  engineBody?: Uint8Array;
}

/** The chain state a template is built on. */
export interface TemplateBase {
  engine: ConsensusEngine;
  view: ChainView;
  state: StateReader;
  acc: LtHash;
}

/** Applies candidates in order, skipping any that fail, then the engine effects; computes the roots. */
export function buildBlockTemplate(args: TemplateArgs, base: TemplateBase): Block {
  const parent = base.view.head();
  const height = parent.header.height + 1;
  const state = new StateOverlay(base.state);
  const engineTx = base.engine.applyEngineTx.bind(base.engine);
  const included: Tx[] = [];
  let fees = 0n;
  for (const tx of args.txs) {
    // applyTx either applies a tx whole or throws leaving the state unchanged, so a failing
    // candidate is simply skipped.
    try {
      fees += applyTx(state, tx, height, engineTx);
    } catch (err) {
      if (err instanceof ChainlabError) continue;
      throw err;
    }
    included.push(tx);
  }
  const block: Block = {
    header: {
      version: HEADER_VERSION,
      height,
      parentHash: parent.hash,
      txRoot: merkleRoot(included.map(encodeTx)),
      stateRoot: new Uint8Array(32),
      beneficiary: args.beneficiary,
      timestamp: args.timestamp,
      engine: args.engineFields,
    },
    txs: included,
    engineBody: args.engineBody ?? new Uint8Array(0),
  };
  base.engine.applyBlock(block, state, { view: base.view, fees });
  const acc = base.acc.clone();
  updateLtHash(acc, state.changes());
  block.header.stateRoot = acc.root();
  return block;
}
