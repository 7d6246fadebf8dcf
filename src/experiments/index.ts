/**
 * experiments/: attack scenarios on real nodes, the adversary toolkit, statistics and the report
 * writers (report.json, report.md, SVG charts). It may import testnet/, node/, rpc/, p2p/ and
 * everything below them, never cli/; cli/ calls it.
 */
export { ExperimentError } from "./errors.ts";
export { loadScenarioFile, verifyScenario } from "./load.ts";
export { parseAssignments, resolveParams } from "./params.ts";
export { createProgress, type ProgressSink, silentProgress } from "./progress.ts";
export type { ChartSpec } from "./report/chart.ts";
export { mergeReports, readReport, rerenderReports, verifyReport } from "./report/rerender.ts";
export type { PointSummary, Report } from "./report/types.ts";
export { createRng, type Rng } from "./rng.ts";
export { type RunOptions, type RunResult, runScenario } from "./runner.ts";
export {
  defineScenario,
  type ParamSpec,
  type ParamValue,
  type PointSpec,
  type Scenario,
  type ScenarioContext,
  type TrialOutcome,
  type TrialRecord,
} from "./scenario.ts";
export { builtinScenarios, findScenario } from "./scenarios/index.ts";
