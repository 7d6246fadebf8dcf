/** Runs a built-in scenario in --quick mode into a temp dir (removed after the file's tests) and reads its files. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { findScenario, type Report, runScenario } from "../../../src/experiments/index.ts";

/** A finished quick run: the report as returned, report.json as written, and a file reader. */
export interface QuickRun {
  report: Report;
  // biome-ignore lint/suspicious/noExplicitAny: report.json read back as plain JSON
  json: any;
  read(file: string): Promise<string>;
}

/** Registers the cleanup (call at module level); the returned function runs a scenario. */
export function quickRunner(): (
  name: string,
  seed: number,
  params?: Record<string, string>,
) => Promise<QuickRun> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (name, seed, params) => {
    const out = await mkdtemp(join(tmpdir(), `chainlab-${name}-`));
    dirs.push(out);
    const { report } = await runScenario(findScenario(name), {
      out,
      quick: true,
      seed,
      ...(params ? { params } : {}),
    });
    const read = (file: string) => readFile(join(out, file), "utf8");
    return { report, json: JSON.parse(await read("report.json")), read };
  };
}
