/** The built-in scenarios, by name. */
import { ExperimentError } from "../errors.ts";
import type { Scenario } from "../scenario.ts";
import apiReplay from "./api-replay.ts";
import doubleSpend from "./double-spend.ts";
import equivocation from "./equivocation.ts";
import finalityAttack from "./finality-attack.ts";
import inactivityLeak from "./inactivity-leak.ts";
import invalidFlood from "./invalid-flood.ts";
import majority from "./majority.ts";
import nothingAtStake from "./nothing-at-stake.ts";
import partition from "./partition.ts";
import posMajority from "./pos-majority.ts";
import selfishMining from "./selfish-mining.ts";
import txReplay from "./tx-replay.ts";

/** Every built-in scenario. */
export const builtinScenarios: readonly Scenario[] = [
  doubleSpend,
  selfishMining,
  majority,
  txReplay,
  apiReplay,
  partition,
  invalidFlood,
  equivocation,
  nothingAtStake,
  finalityAttack,
  inactivityLeak,
  posMajority,
];

/** A built-in scenario by name; EXPERIMENT_UNKNOWN_SCENARIO otherwise. */
export function findScenario(name: string): Scenario {
  const s = builtinScenarios.find((x) => x.name === name);
  if (s === undefined) {
    throw new ExperimentError(
      "EXPERIMENT_UNKNOWN_SCENARIO",
      `unknown scenario "${name.slice(0, 40)}" (known: ${builtinScenarios.map((x) => x.name).join(", ") || "none"}; see "chainlab attack list")`,
    );
  }
  return s;
}
