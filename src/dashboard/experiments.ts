/**
 * The experiments panel's data: the runs of `chainlab attack` found under the dashboard's
 * experiment roots (the testnet's `experiments/` dir and any `--experiments DIR`). A root is a run
 * dir itself (it holds report.json or progress.json) or a folder of run dirs. A run in progress
 * shows its progress.json (trials done, the points measured so far beside the theory); a finished
 * one its report.json and its SVG charts. Only the charts a report lists, inside its own dir,
 * can be served; every file read is bounded in size and every list in length.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, join, sep } from "node:path";

/** One measured point as the panel draws it (a PointSummary of the report). */
export interface RunPoint {
  id: string;
  coords: Record<string, number>;
  trials: number;
  successes: number;
  estimate: number | null;
  lo: number;
  hi: number;
  /** The primary model's prediction. */
  predicted?: number;
}

/** One run as the panel lists it. */
export interface RunView {
  id: string;
  name: string;
  scenario: string;
  state: "running" | "finished" | "failed";
  seed?: number;
  startedAt?: string;
  updatedAt?: string;
  done?: number;
  total?: number;
  error?: string;
  points: RunPoint[];
  /** Served at /experiments/ID/FILE. */
  charts: { file: string; title: string }[];
  /** The report's chi-square fit of the sweep against the theory. */
  fit?: { chiSquare: number; degreesOfFreedom?: number; pValue: number };
}

const MAX_RUNS = 24;
const MAX_ENTRIES = 500;
const MAX_POINTS = 64;
const MAX_REPORT_BYTES = 32 * 1024 * 1024;
const MAX_PROGRESS_BYTES = 1024 * 1024;
const MAX_SVG_BYTES = 4 * 1024 * 1024;
const CHART_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.svg$/;

interface Found {
  dir: string;
  view: RunView;
  /** The files the report lists, by name. */
  charts: Set<string>;
  key: string;
}

const obj = (x: unknown): Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
const str = (x: unknown, max = 200): string | undefined =>
  typeof x === "string" ? x.slice(0, max) : undefined;
const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);

/** The points of a report or progress file, bounded and with only the fields the panel draws. */
export function readPoints(list: unknown): RunPoint[] {
  if (!Array.isArray(list)) return [];
  return list.slice(0, MAX_POINTS).flatMap((x): RunPoint[] => {
    const p = obj(x);
    const id = str(p["id"], 80);
    if (id === undefined) return [];
    const coords: Record<string, number> = {};
    for (const [k, v] of Object.entries(obj(p["coords"])).slice(0, 8)) {
      const n = num(v);
      if (n !== undefined) coords[k.slice(0, 40)] = n;
    }
    const primary = str(p["primary"], 80);
    const predicted = primary !== undefined ? num(obj(p["predicted"])[primary]) : undefined;
    return [
      {
        id,
        coords,
        trials: num(p["trials"]) ?? 0,
        successes: num(p["successes"]) ?? 0,
        estimate: num(p["estimate"]) ?? null,
        lo: num(p["lo"]) ?? 0,
        hi: num(p["hi"]) ?? 1,
        ...(predicted !== undefined ? { predicted } : {}),
      },
    ];
  });
}

function readFit(x: unknown): Pick<RunView, "fit"> {
  const f = obj(x);
  const chiSquare = num(f["chiSquare"]);
  const pValue = num(f["pValue"]);
  const df = num(f["degreesOfFreedom"]);
  if (chiSquare === undefined || pValue === undefined) return {};
  return { fit: { chiSquare, pValue, ...(df !== undefined ? { degreesOfFreedom: df } : {}) } };
}

async function readJson(path: string, max: number): Promise<{ json: unknown; key: string } | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile() || s.size > max) return undefined;
    return { json: JSON.parse(await readFile(path, "utf8")), key: `${s.mtimeMs}:${s.size}` };
  } catch {
    return undefined;
  }
}

/** The run in `dir` (report.json when finished, else progress.json), or undefined. */
export async function readRun(dir: string, cached?: Found): Promise<Found | undefined> {
  const id = createHash("sha256").update(dir).digest("hex").slice(0, 16);
  const reportStat = await stat(join(dir, "report.json")).catch(() => undefined);
  if (reportStat?.isFile()) {
    const key = `report:${reportStat.mtimeMs}:${reportStat.size}`;
    if (cached?.key === key) return cached;
    const got = await readJson(join(dir, "report.json"), MAX_REPORT_BYTES);
    if (got === undefined) return undefined;
    const r = obj(got.json);
    const charts = (Array.isArray(r["charts"]) ? r["charts"] : [])
      .map((c) => ({ file: `${str(obj(c)["file"], 120) ?? ""}.svg`, title: str(obj(c)["title"]) ?? "" }))
      .filter((c) => CHART_FILE.test(c.file))
      .slice(0, 16);
    const view: RunView = {
      id,
      name: basename(dir),
      scenario: str(r["scenario"], 80) ?? "?",
      state: "finished",
      ...(num(r["seed"]) !== undefined ? { seed: num(r["seed"])! } : {}),
      ...(str(r["startedAt"]) ? { startedAt: str(r["startedAt"])! } : {}),
      ...(str(r["finishedAt"]) ? { updatedAt: str(r["finishedAt"])! } : {}),
      points: readPoints(r["points"]),
      charts,
      ...readFit(r["fit"]),
    };
    return { dir, view, charts: new Set(charts.map((c) => c.file)), key };
  }
  const got = await readJson(join(dir, "progress.json"), MAX_PROGRESS_BYTES);
  if (got === undefined) return undefined;
  const p = obj(got.json);
  const state = p["state"] === "failed" ? "failed" : p["state"] === "finished" ? "finished" : "running";
  const view: RunView = {
    id,
    name: basename(dir),
    scenario: str(p["scenario"], 80) ?? "?",
    state,
    ...(num(p["seed"]) !== undefined ? { seed: num(p["seed"])! } : {}),
    ...(str(p["startedAt"]) ? { startedAt: str(p["startedAt"])! } : {}),
    ...(str(p["updatedAt"]) ? { updatedAt: str(p["updatedAt"])! } : {}),
    ...(num(p["done"]) !== undefined ? { done: num(p["done"])! } : {}),
    ...(num(p["total"]) !== undefined ? { total: num(p["total"])! } : {}),
    ...(str(p["error"]) ? { error: str(p["error"])! } : {}),
    points: readPoints(p["points"]),
    charts: [],
  };
  return { dir, view, charts: new Set(), key: `progress:${got.key}` };
}

/** The run dirs under the roots (a root that is a run counts itself), bounded. */
async function runDirs(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    const real = await realpath(root).catch(() => undefined);
    if (real === undefined) continue;
    const names = await readdir(real).catch(() => [] as string[]);
    if (names.includes("report.json") || names.includes("progress.json")) {
      out.push(real);
      continue;
    }
    for (const n of names.slice(0, MAX_ENTRIES)) {
      const d = join(real, n);
      if ((await stat(d).catch(() => undefined))?.isDirectory()) out.push(d);
    }
  }
  return [...new Set(out)];
}

/** The experiment runs under a set of roots, rescanned on demand. */
export class ExperimentRuns {
  private readonly roots: string[];
  private found = new Map<string, Found>();

  constructor(roots: readonly string[]) {
    this.roots = [...roots];
  }

  /** Re-reads the roots (files whose size and mtime did not change are not parsed again). */
  async scan(): Promise<void> {
    const next = new Map<string, Found>();
    const old = new Map([...this.found.values()].map((f) => [f.dir, f]));
    for (const dir of await runDirs(this.roots)) {
      const run = await readRun(dir, old.get(dir));
      if (run) next.set(run.view.id, run);
    }
    this.found = next;
  }

  /** Runs, running ones first, then newest first; at most MAX_RUNS. */
  list(): RunView[] {
    const rank = (v: RunView) => (v.state === "running" ? 0 : 1);
    return [...this.found.values()]
      .map((f) => f.view)
      .sort((a, b) => rank(a) - rank(b) || (b.updatedAt ?? "").localeCompare(a.updatedAt ?? ""))
      .slice(0, MAX_RUNS);
  }

  /** A chart of run `id`: only a file its report lists, inside its own dir, bounded in size. */
  async chart(id: string, file: string): Promise<Buffer | undefined> {
    const run = this.found.get(id);
    if (run === undefined || !CHART_FILE.test(file) || !run.charts.has(file)) return undefined;
    try {
      const real = await realpath(join(run.dir, file));
      if (!real.startsWith(run.dir + sep)) return undefined;
      const s = await stat(real);
      if (!s.isFile() || s.size > MAX_SVG_BYTES) return undefined;
      return await readFile(real);
    } catch {
      return undefined;
    }
  }
}
