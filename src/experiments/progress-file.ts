/**
 * DIR/progress.json while a run goes on: trials done of the current trial loop and the points
 * measured so far (rates, Wilson intervals, the theory), rewritten atomically at most every
 * `minIntervalMs` and once more at the end, so a dashboard can show a run before its report
 * exists. Writing it is best effort: a full disk never fails the experiment.
 */
import { join } from "node:path";
import type { PointSummary } from "./report/types.ts";
import { writeAtomic } from "./report/write.ts";

/** The contents of progress.json. */
export interface RunProgress {
  version: 1;
  scenario: string;
  seed: number;
  quick: boolean;
  startedAt: string;
  updatedAt: string;
  state: "running" | "finished" | "failed";
  done: number;
  total: number;
  points: PointSummary[];
  error?: string;
}

/** The writer of one run's progress.json. */
export interface ProgressFile {
  /** Records the trial count; `points` is computed only when the file is written. */
  update(done: number, total: number, points: () => PointSummary[]): void;
  /** Writes the final state (failed when `error` is given) and waits for it. */
  finish(error?: string): Promise<void>;
}

/** Opens DIR/progress.json for a run that starts now. */
export function openProgressFile(
  dir: string,
  run: { scenario: string; seed: number; quick: boolean; startedAt: number },
  minIntervalMs = 250,
): ProgressFile {
  const path = join(dir, "progress.json");
  let state: Omit<RunProgress, "updatedAt" | "points"> & { points: () => PointSummary[] } = {
    version: 1,
    scenario: run.scenario,
    seed: run.seed,
    quick: run.quick,
    startedAt: new Date(run.startedAt).toISOString(),
    state: "running",
    done: 0,
    total: 0,
    points: () => [],
  };
  let writing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let lastAt = 0;
  const flush = (): void => {
    timer = undefined;
    if (!dirty || writing) return;
    dirty = false;
    lastAt = Date.now();
    const { points, ...rest } = state;
    const body: RunProgress = { ...rest, updatedAt: new Date(lastAt).toISOString(), points: points() };
    writing = writeAtomic(path, `${JSON.stringify(body)}\n`)
      .catch(() => {})
      .finally(() => {
        writing = undefined;
        if (dirty) schedule();
      });
  };
  const schedule = (): void => {
    if (timer || writing) return;
    timer = setTimeout(flush, Math.max(0, minIntervalMs - (Date.now() - lastAt)));
    timer.unref();
  };
  return {
    update(done, total, points) {
      state = { ...state, done, total, points };
      dirty = true;
      schedule();
    },
    async finish(error) {
      state = { ...state, state: error === undefined ? "finished" : "failed", ...(error ? { error } : {}) };
      clearTimeout(timer);
      timer = undefined;
      while (writing) await writing;
      dirty = true;
      flush();
      await writing;
    },
  };
}
