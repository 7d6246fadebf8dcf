/**
 * `attack report`: reads report.json files back (hostile input: bounded, shape-checked) and renders
 * report.md and the charts again, from one run or from several merged into one table. Runs of the
 * same scenario pool their trials per point (the intervals are recomputed over all of them); runs of
 * different scenarios are listed side by side, their points prefixed with the scenario's name.
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ExperimentError } from "../errors.ts";
import type { PointSpec, TrialRecord } from "../scenario.ts";
import type { ChartSpec } from "./chart.ts";
import { fitPoints, summarizePoints } from "./summary.ts";
import type { PointSummary, Report } from "./types.ts";
import { type WrittenReport, writeReport } from "./write.ts";

/** Largest report.json read. */
const MAX_REPORT_BYTES = 256 << 20;
/** Most runs merged at once. */
const MAX_RUNS = 64;

function bad(where: string, why: string): never {
  throw new ExperimentError("EXPERIMENT_BAD_REPORT", `${where}: ${why}`);
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

function checkPoint(where: string, p: unknown, i: number): void {
  if (!isObject(p)) bad(where, `points[${i}] is not an object`);
  if (typeof p.id !== "string" || typeof p.primary !== "string")
    bad(where, `points[${i}] lacks id or primary`);
  if (!isObject(p.coords) || !isObject(p.predicted)) bad(where, `points[${i}] lacks coords or predicted`);
  for (const v of [...Object.values(p.coords), ...Object.values(p.predicted)]) {
    if (typeof v !== "number") bad(where, `points[${i}] has a coordinate or prediction that is not a number`);
  }
}

function checkTrial(where: string, t: unknown, i: number): void {
  if (!isObject(t)) bad(where, `trials[${i}] is not an object`);
  if (typeof t.point !== "string" || typeof t.success !== "boolean" || !isObject(t.data))
    bad(where, `trials[${i}] lacks point, success or data`);
  if (t.units !== undefined) {
    const u = t.units;
    if (!isObject(u) || !Number.isSafeInteger(u.successes) || !Number.isSafeInteger(u.count))
      bad(where, `trials[${i}].units must be integer successes and count`);
    if ((u.successes as number) < 0 || (u.successes as number) > (u.count as number))
      bad(where, `trials[${i}].units.successes is outside [0, count]`);
  }
}

/** Checks that `value` has the shape of a report.json this version wrote. */
export function verifyReport(value: unknown, where: string): Report {
  if (!isObject(value)) bad(where, "not a JSON object");
  if (value.version !== 1) bad(where, `unsupported report version ${String(value.version).slice(0, 20)}`);
  if (typeof value.scenario !== "string" || value.scenario.length > 200)
    bad(where, "scenario must be a name");
  for (const k of ["points", "trials", "charts", "notes"] as const) {
    if (!Array.isArray(value[k])) bad(where, `${k} must be an array`);
  }
  for (const [i, p] of (value.points as unknown[]).entries()) checkPoint(where, p, i);
  for (const [i, t] of (value.trials as unknown[]).entries()) checkTrial(where, t, i);
  (value.charts as unknown[]).forEach((c, i) => {
    if (!isObject(c) || typeof c.file !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(c.file))
      bad(where, `charts[${i}].file must be a plain file name`);
    if (!Array.isArray(c.theory) || !Array.isArray(c.measured)) bad(where, `charts[${i}] lacks its data`);
  });
  if (!isObject(value.params) || !isObject(value.metrics) || !isObject(value.machine))
    bad(where, "params, metrics and machine must be objects");
  return value as unknown as Report;
}

/** Reads and checks DIR/report.json (or the file itself when given one); returns its dir too. */
export async function readReport(dirOrFile: string): Promise<{ report: Report; dir: string }> {
  let path = resolve(dirOrFile);
  const where = dirOrFile.slice(0, 200);
  let info = await stat(path).catch(() => bad(where, "no such file or directory"));
  if (info.isDirectory()) {
    path = join(path, "report.json");
    info = await stat(path).catch(() => bad(where, "has no report.json"));
  }
  if (info.size > MAX_REPORT_BYTES) bad(where, `report.json is larger than ${MAX_REPORT_BYTES >> 20} MiB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    bad(where, `report.json is not JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  return { report: verifyReport(parsed, where), dir: dirname(path) };
}

const specOf = (p: PointSummary, id = p.id): PointSpec => ({
  id,
  coords: p.coords,
  predicted: p.predicted,
  primary: p.primary,
  ...(p.unit !== undefined ? { unit: p.unit } : {}),
});

/** Merges several runs into one report; see the module comment. */
export function mergeReports(runs: readonly { dir: string; report: Report }[]): Report {
  if (runs.length === 0) throw new ExperimentError("EXPERIMENT_BAD_PARAM", "no report to merge");
  const one = new Set(runs.map((r) => r.report.scenario)).size === 1;
  const prefix = (r: Report, id: string) => (one ? id : `${r.scenario}:${id}`);
  const specs = new Map<string, PointSpec>();
  const trials: TrialRecord[] = [];
  runs.forEach(({ report }, run) => {
    for (const p of report.points) {
      const id = prefix(report, p.id);
      if (!specs.has(id)) specs.set(id, specOf(p, id));
    }
    for (const t of report.trials) {
      trials.push({ ...t, point: prefix(report, t.point), index: trials.length, data: { ...t.data, run } });
    }
  });
  const points = summarizePoints([...specs.values()], trials);
  const first = runs[0]!.report;
  const charts = new Map<string, ChartSpec>();
  runs.forEach(({ report }, run) => {
    for (const c of report.charts) {
      const file = one ? c.file : `${report.scenario}-${c.file}`;
      const measured = c.measured.map((m) => ({ ...m, series: `${m.series} (run ${run + 1})` }));
      const have = charts.get(file);
      if (have === undefined) charts.set(file, { ...c, file, measured });
      else have.measured.push(...measured);
    }
  });
  return {
    version: 1,
    scenario: one ? first.scenario : runs.map((r) => r.report.scenario).join("+"),
    description: `${runs.length} runs merged: ${runs.map((r) => `${r.dir} (${r.report.scenario}, seed ${r.report.seed})`).join("; ")}`,
    seed: first.seed,
    quick: runs.some((r) => r.report.quick),
    trialsPerPoint: Math.max(...runs.map((r) => r.report.trialsPerPoint)),
    params: one ? first.params : {},
    startedAt: runs.map((r) => r.report.startedAt).sort()[0]!,
    finishedAt: runs
      .map((r) => r.report.finishedAt)
      .sort()
      .at(-1)!,
    durationMs: runs.reduce((n, r) => n + r.report.durationMs, 0),
    machine: first.machine,
    points,
    fit: fitPoints(points),
    metrics: {
      runs: runs.map((r, i) => ({
        run: i + 1,
        dir: r.dir,
        scenario: r.report.scenario,
        seed: r.report.seed,
        trials: r.report.trials.length,
        params: r.report.params,
        metrics: r.report.metrics,
      })),
    },
    notes: [
      `Merged report: the trials of ${runs.length} runs pooled per point (intervals recomputed over all of them); chart points are each run's own, labelled by run.`,
      ...new Set(runs.flatMap((r) => r.report.notes)),
    ],
    charts: [...charts.values()],
    trials,
  };
}

/** Reads the runs in `dirs`, merges them if more than one, and writes the report into `out`. */
export async function rerenderReports(
  dirs: readonly string[],
  out: string | undefined,
): Promise<{ report: Report; written: WrittenReport }> {
  if (dirs.length === 0 || dirs.length > MAX_RUNS) {
    throw new ExperimentError(
      "EXPERIMENT_BAD_PARAM",
      `give 1 to ${MAX_RUNS} report dirs, got ${dirs.length}`,
    );
  }
  const runs = [];
  for (const dir of dirs) runs.push(await readReport(dir));
  const report = runs.length === 1 ? runs[0]!.report : mergeReports(runs);
  const target = out ?? (runs.length === 1 ? runs[0]!.dir : "attack-merged");
  return { report, written: await writeReport(resolve(target), report) };
}
