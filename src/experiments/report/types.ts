/** The shape of report.json. */
import type { ParamValue, TrialRecord } from "../scenario.ts";
import type { FitTest } from "../stats/index.ts";
import type { ChartSpec } from "./chart.ts";

/** The machine a run used. */
export interface MachineInfo {
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemoryMiB: number;
  node: string;
  hostname: string;
}

/** One point's measured rate against the theory. */
export interface PointSummary {
  id: string;
  coords: Record<string, number>;
  trials: number;
  successes: number;
  estimate: number;
  /** 95% Wilson interval. */
  lo: number;
  hi: number;
  predicted: Record<string, number>;
  primary: string;
  /** Whether predicted[primary] lies inside [lo, hi]. */
  theoryInside: boolean;
  /** Batched points: trials and successes count units (e.g. blocks) over this many batches. */
  batches?: number;
  /** Batched points: the variance inflation the interval allows for (>= 1). */
  designEffect?: number;
  unit?: string;
}

/** report.json. */
export interface Report {
  version: 1;
  scenario: string;
  description: string;
  seed: number;
  quick: boolean;
  trialsPerPoint: number;
  params: Record<string, ParamValue>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: MachineInfo;
  points: PointSummary[];
  fit: FitTest;
  metrics: Record<string, unknown>;
  notes: string[];
  charts: ChartSpec[];
  trials: TrialRecord[];
}
