/**
 * Block templates: a full unsealed block on the head from candidate transactions.
 *
 * A producer refreshes its template whenever transactions arrive (PoW: within 50 ms), so the
 * builder is incremental: while the parent and beneficiary stay the same it keeps the state after
 * the txs already in the template and appends only new candidates, updating the state commitment
 * for the keys those touch. A new head starts a fresh, fee-ordered template.
 */
import type { ChainView, ConsensusEngine } from "../consensus/engine.ts";
import { type Block, HEADER_VERSION } from "../core/block.ts";
import { ChainlabError } from "../core/errors.ts";
import { bytesEqual } from "../core/hash.ts";
import type { LtHash } from "../core/lthash.ts";
import { MerkleAccumulator } from "../core/merkle.ts";
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
  /** Most transactions in the block (default: no limit beyond the candidates). */
  maxTxs?: number;
  engineBody?: Uint8Array;
}

/** The chain state a template is built on. */
export interface TemplateBase {
  engine: ConsensusEngine;
  view: ChainView;
  state: StateReader;
  acc: LtHash;
}

interface Partial {
  parentHash: Uint8Array;
  beneficiary: Uint8Array;
  state: StateOverlay;
  /** The accumulator after the template's txs (before engine effects). */
  acc: LtHash;
  included: Tx[];
  /** The tx root's tree so far: each appended tx is hashed into it once. */
  txTree: MerkleAccumulator;
  members: Set<Tx>;
  fees: bigint;
}

/** Builds templates, reusing the work of the previous one on the same parent. */
export class TemplateBuilder {
  private partial: Partial | undefined;

  /** Applies new candidates in order (skipping any that fail), then the engine effects; computes the roots. */
  build(args: TemplateArgs, base: TemplateBase): Block {
    const parent = base.view.head();
    const height = parent.header.height + 1;
    let p = this.partial;
    if (
      p === undefined ||
      !bytesEqual(p.parentHash, parent.hash) ||
      !bytesEqual(p.beneficiary, args.beneficiary)
    ) {
      p = {
        parentHash: parent.hash,
        beneficiary: args.beneficiary,
        state: new StateOverlay(base.state),
        acc: base.acc.clone(),
        included: [],
        txTree: new MerkleAccumulator(),
        members: new Set(),
        fees: 0n,
      };
      this.partial = p;
    }
    const maxTxs = args.maxTxs ?? Number.POSITIVE_INFINITY;
    const batch = new StateOverlay(p.state);
    const engineTx = base.engine.applyEngineTx.bind(base.engine);
    for (const tx of args.txs) {
      if (p.included.length >= maxTxs) break;
      if (p.members.has(tx)) continue;
      // applyTx applies a tx whole or throws leaving the state unchanged: a failing candidate is skipped.
      try {
        p.fees += applyTx(batch, tx, height, engineTx);
      } catch (err) {
        if (err instanceof ChainlabError) continue;
        throw err;
      }
      p.included.push(tx);
      p.txTree.push(encodeTx(tx));
      p.members.add(tx);
    }
    const appended = batch.changes();
    updateLtHash(p.acc, appended);
    for (const c of appended) {
      if (c.value === undefined) p.state.delete(c.key);
      else p.state.put(c.key, c.value);
    }

    const block: Block = {
      header: {
        version: HEADER_VERSION,
        height,
        parentHash: parent.hash,
        txRoot: p.txTree.root(),
        stateRoot: new Uint8Array(32),
        beneficiary: args.beneficiary,
        timestamp: args.timestamp,
        engine: args.engineFields,
      },
      txs: [...p.included],
      engineBody: args.engineBody ?? new Uint8Array(0),
    };
    const final = new StateOverlay(p.state);
    base.engine.applyBlock(block, final, { view: base.view, parent, fees: p.fees });
    const acc = p.acc.clone();
    updateLtHash(acc, final.changes());
    block.header.stateRoot = acc.root();
    return block;
  }

  /** Drops the cached partial template (e.g. after a reorg that kept the same head height). */
  reset(): void {
    this.partial = undefined;
  }
}

/** A one-off template (no reuse). */
export function buildBlockTemplate(args: TemplateArgs, base: TemplateBase): Block {
  return new TemplateBuilder().build(args, base);
}
