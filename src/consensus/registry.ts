/** Engine implementations by genesis.consensus.type. Imported by node/ only. */
import type { Genesis, Json } from "../core/genesis.ts";
import { type ConsensusEngine, ConsensusError } from "./engine.ts";
import { PosEngine, type PosEngineOptions } from "./pos/engine.ts";
import { type PosGenesisOptions, posGenesisParams } from "./pos/params.ts";
import { PowEngine, type PowEngineOptions } from "./pow/engine.ts";
import { type PowGenesisOptions, powGenesisParams } from "./pow/params.ts";

/** Options passed through to the engine implementations. */
export interface EngineOptions {
  pow?: PowEngineOptions;
  pos?: PosEngineOptions;
}

/** Builds the engine a genesis asks for; throws CONSENSUS_UNKNOWN_ENGINE otherwise. */
export function createEngine(genesis: Genesis, options: EngineOptions = {}): ConsensusEngine {
  switch (genesis.consensus.type) {
    case "pow":
      return new PowEngine(genesis, options.pow);
    case "pos":
      return new PosEngine(genesis, options.pos);
    default:
      throw new ConsensusError(
        "CONSENSUS_UNKNOWN_ENGINE",
        `unknown consensus type "${genesis.consensus.type}"`,
      );
  }
}

/** The engines a genesis can name. */
export const ENGINE_TYPES = ["pow", "pos"] as const;

/** Generic knobs of a new chain's engine parameters; each engine maps them to its own. */
export type GenesisParamsOptions = PowGenesisOptions & { pos?: Omit<PosGenesisOptions, "slotMs"> };

/** The genesis.consensus.params of a new chain with engine `type`. */
export function genesisParams(type: string, options: GenesisParamsOptions): Record<string, Json> {
  switch (type) {
    case "pow":
      return powGenesisParams(options);
    case "pos":
      if (options.pos === undefined) {
        throw new ConsensusError("CONSENSUS_BAD_PARAMS", "a PoS genesis needs its validators (pos options)");
      }
      return posGenesisParams({ ...options.pos, slotMs: options.blockTimeMs });
    default:
      throw new ConsensusError(
        "CONSENSUS_UNKNOWN_ENGINE",
        `unknown consensus type "${type}" (supported: ${ENGINE_TYPES.join(", ")})`,
      );
  }
}
