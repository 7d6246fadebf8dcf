/** The scenario API: what a scenario module exports and the context its run(ctx) receives. */

import type { ChartSpec } from "./report/chart.ts";
import type { Rng } from "./rng.ts";

/** A declared parameter; values come from --param k=v or the scenario's own options. */
export type ParamSpec =
  | { type: "number"; default: number; quick?: number; min?: number; max?: number; description: string }
  | { type: "integer"; default: number; quick?: number; min?: number; max?: number; description: string }
  | {
      type: "numbers";
      default: readonly number[];
      quick?: readonly number[];
      min?: number;
      max?: number;
      integer?: boolean;
      description: string;
    }
  | { type: "boolean"; default: boolean; quick?: boolean; description: string };

/** The parsed value of a ParamSpec. */
export type ParamValue = number | readonly number[] | boolean;

/** One point of a sweep: its coordinates and the probabilities the theory predicts for it. */
export interface PointSpec {
  /** Stable id, e.g. "q=0.3,z=2". */
  id: string;
  coords: Record<string, number>;
  /** Predicted success probability by model name; `primary` names the one compared. */
  predicted: Record<string, number>;
  primary: string;
  /** When trials are batches of units (e.g. blocks): the unit's name, plural. */
  unit?: string;
}

/** What one trial returns. */
export interface TrialOutcome {
  success: boolean;
  /**
   * A trial that is a batch of Bernoulli units (e.g. main-chain blocks, of which `successes` are
   * the attacker's): the point's rate is then over units, its interval over batches.
   */
  units?: { successes: number; count: number };
  /** Raw observations of the trial (kept verbatim in report.json). */
  data: Record<string, unknown>;
}

/** One trial as recorded. */
export interface TrialRecord extends TrialOutcome {
  point: string;
  /** Position in the run's schedule. */
  index: number;
  /** The seed of the trial's own RNG stream. */
  seed: number;
  durationMs: number;
}

/** The trial loop: runs `perPoint` trials of each point in a seeded, shuffled order. */
export type TrialLoop = (
  points: readonly PointSpec[],
  perPoint: number,
  trial: (point: PointSpec, rng: Rng, index: number) => Promise<TrialOutcome>,
) => Promise<TrialRecord[]>;

/** What a scenario can do while it runs. */
export interface ScenarioContext {
  params: Record<string, ParamValue>;
  seed: number;
  quick: boolean;
  /** Trials per point requested (--trials, or the scenario's default). */
  trials: number;
  rng: Rng;
  /** A directory for the scenario's testnets and scratch files (inside the output dir). */
  workDir: string;
  trialLoop: TrialLoop;
  /** Progress text (start-up steps, phases); shown by the runner's progress sink. */
  log(message: string): void;
  /** Records a named measurement (kept in report.json under metrics). */
  metric(name: string, value: unknown): void;
  /** Adds a chart (rendered to DIR/<file>.svg). */
  chart(spec: ChartSpec): void;
  /** Adds a paragraph to the report (design notes, caveats). */
  note(text: string): void;
  /** Aborted by the user (Ctrl-C): stop at the next trial boundary. */
  signal: AbortSignal;
}

/** A scenario module. */
export interface Scenario {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  /** Trials per point by default and in --quick mode. */
  trials: { default: number; quick: number };
  run(ctx: ScenarioContext): Promise<void>;
}

/** Identity helper that type-checks a scenario module's default export. */
export function defineScenario(s: Scenario): Scenario {
  return s;
}
