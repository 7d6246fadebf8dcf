/**
 * The runner: resolves a scenario's parameters, seeds the RNG, runs its trials through the
 * trial loop (a shuffled, seeded schedule, so points are interleaved and drifts in the machine's
 * load spread over all of them), and builds and writes the report.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describeError } from "../core/errors.ts";
import { ExperimentError } from "./errors.ts";
import { resolveParams } from "./params.ts";
import { type ProgressSink, silentProgress } from "./progress.ts";
import { openProgressFile } from "./progress-file.ts";
import type { ChartSpec } from "./report/chart.ts";
import { fitPoints, summarizePoints } from "./report/summary.ts";
import type { Report } from "./report/types.ts";
import { machineInfo, type WrittenReport, writeReport } from "./report/write.ts";
import { createRng, type Rng } from "./rng.ts";
import type {
  PointSpec,
  Scenario,
  ScenarioContext,
  TrialLoop,
  TrialOutcome,
  TrialRecord,
} from "./scenario.ts";

/** How to run a scenario. */
export interface RunOptions {
  /** Output dir for the report (and the scenario's scratch dir). */
  out: string;
  seed?: number;
  /** Trials per point; the scenario's default (or quick) count when absent. */
  trials?: number;
  quick?: boolean;
  /** Parameter values as strings (from the command line). */
  params?: Record<string, string>;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/** The report and where its files went. */
export interface RunResult {
  report: Report;
  written: WrittenReport;
}

/** The schedule of a trial loop: which point each trial belongs to, and its seed. */
export function trialSchedule(
  rng: Rng,
  points: readonly PointSpec[],
  perPoint: number,
): { point: PointSpec; seed: number }[] {
  const slots = points.flatMap((point) => Array.from({ length: perPoint }, () => point));
  rng.shuffle(slots);
  return slots.map((point) => ({ point, seed: rng.int(2 ** 32) }));
}

/** Runs `scenario` and writes DIR/report.json, report.md and the charts. */
export async function runScenario(scenario: Scenario, o: RunOptions): Promise<RunResult> {
  const quick = o.quick === true;
  const params = resolveParams(scenario.params, o.params ?? {}, quick);
  const seed = o.seed ?? Date.now() % 2 ** 31;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new ExperimentError("EXPERIMENT_BAD_PARAM", `--seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const trials = o.trials ?? (quick ? scenario.trials.quick : scenario.trials.default);
  if (!Number.isSafeInteger(trials) || trials < 1 || trials > 100_000) {
    throw new ExperimentError(
      "EXPERIMENT_BAD_PARAM",
      `--trials must be an integer in [1, 100000], got ${trials}`,
    );
  }
  const out = resolve(o.out);
  const workDir = join(out, "work");
  await mkdir(workDir, { recursive: true });
  const progress = o.progress ?? silentProgress;
  const signal = o.signal ?? new AbortController().signal;
  const rng = createRng(seed);
  const started = Date.now();
  const live = openProgressFile(out, { scenario: scenario.name, seed, quick, startedAt: started });
  const charts: ChartSpec[] = [];
  const notes: string[] = [];
  const metrics: Record<string, unknown> = {};
  const allPoints: PointSpec[] = [];
  const records: TrialRecord[] = [];

  const trialLoop: TrialLoop = async (points, perPoint, trial) => {
    const schedule = trialSchedule(rng.fork(), points, perPoint);
    allPoints.push(...points.filter((p) => !allPoints.some((q) => q.id === p.id)));
    progress.start(schedule.length);
    live.update(0, schedule.length, () => summarizePoints(allPoints, records));
    try {
      for (const [i, slot] of schedule.entries()) {
        if (signal.aborted) throw new ExperimentError("EXPERIMENT_FAILED", "aborted");
        const t0 = Date.now();
        let outcome: TrialOutcome;
        try {
          outcome = await trial(slot.point, createRng(slot.seed), records.length);
        } catch (err) {
          const e = describeError(err);
          throw new ExperimentError(
            "EXPERIMENT_FAILED",
            `trial ${i + 1} (${slot.point.id}) failed: ${e.message.split("\n")[0]}`,
            { cause: e.code },
          );
        }
        records.push({
          point: slot.point.id,
          index: records.length,
          seed: slot.seed,
          durationMs: Date.now() - t0,
          success: outcome.success,
          ...(outcome.units !== undefined ? { units: outcome.units } : {}),
          data: outcome.data,
        });
        progress.tick(i + 1, `${slot.point.id} ${outcome.success ? "success" : "fail"}`);
        live.update(i + 1, schedule.length, () => summarizePoints(allPoints, records));
      }
    } finally {
      progress.stop();
    }
    return records.slice(-schedule.length);
  };

  const ctx: ScenarioContext = {
    params,
    seed,
    quick,
    trials,
    rng,
    workDir,
    trialLoop,
    log: (m) => progress.message(m),
    metric: (name, value) => {
      metrics[name] = value;
    },
    chart: (c) => charts.push(c),
    note: (t) => notes.push(t),
    signal,
  };
  await scenario.run(ctx).catch(async (err: unknown) => {
    await live.finish(describeError(err).message.split("\n")[0]);
    throw err;
  });
  const points = summarizePoints(allPoints, records);
  const finished = Date.now();
  const report: Report = {
    version: 1,
    scenario: scenario.name,
    description: scenario.description,
    seed,
    quick,
    trialsPerPoint: trials,
    params,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    machine: machineInfo(),
    points,
    fit: fitPoints(points),
    metrics,
    notes,
    charts,
    trials: records,
  };
  const written = await writeReport(out, report);
  await live.finish();
  return { report, written };
}
