/** Writes DIR/report.json, DIR/report.md and DIR/<chart>.svg. */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { arch, cpus, hostname, platform, totalmem } from "node:os";
import { join } from "node:path";
import { renderChartSvg } from "./chart.ts";
import { renderMarkdown } from "./markdown.ts";
import type { MachineInfo, Report } from "./types.ts";

/** The machine this process runs on. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    platform: platform(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    node: process.versions.node,
    hostname: hostname(),
  };
}

/** Writes `path` through a temporary file and a rename, so a reader never sees half a file. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** The files written, relative to the dir. */
export interface WrittenReport {
  dir: string;
  json: string;
  markdown: string;
  charts: string[];
}

/** Writes the three kinds of report files into `dir` (created if missing). */
export async function writeReport(dir: string, report: Report): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const charts: string[] = [];
  for (const c of report.charts) {
    const file = `${c.file}.svg`;
    await writeAtomic(join(dir, file), await renderChartSvg(c));
    charts.push(file);
  }
  await writeAtomic(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeAtomic(join(dir, "report.md"), renderMarkdown(report, charts));
  return { dir, json: "report.json", markdown: "report.md", charts };
}
