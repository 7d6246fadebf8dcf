/** Engine implementations by genesis.consensus.type. Imported by node/ only. */
import type { Genesis } from "../core/genesis.ts";
import { type ConsensusEngine, ConsensusError } from "./engine.ts";
import { PowEngine, type PowEngineOptions } from "./pow/engine.ts";

/** Options passed through to the engine implementations. */
export interface EngineOptions {
  pow?: PowEngineOptions;
}

/** Builds the engine a genesis asks for; throws CONSENSUS_UNKNOWN_ENGINE otherwise. */
export function createEngine(genesis: Genesis, options: EngineOptions = {}): ConsensusEngine {
  switch (genesis.consensus.type) {
    case "pow":
      return new PowEngine(genesis, options.pow);
    default:
      throw new ConsensusError(
        "CONSENSUS_UNKNOWN_ENGINE",
        `unknown consensus type "${genesis.consensus.type}"`,
      );
  }
}
