/** report.json, report.md (the one table) and the SVG charts of a comparison. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { MachineInfo } from "../report/types.ts";
import { writeAtomic } from "../report/write.ts";
import { type CompareChart, renderSpecSvg } from "./charts.ts";
import type { SideMeasures } from "./measures.ts";
import type { CompareOptions } from "./options.ts";
import type { Basis, Row } from "./rows.ts";
import type { Consensus, RawRun } from "./run-one.ts";

/** report.json of `chainlab compare`. */
export interface CompareReport {
  version: 1;
  kind: "compare";
  options: CompareOptions;
  /** Which testnet ran first (chosen by the seed). */
  order: Consensus[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: MachineInfo;
  rows: Row[];
  measures: { pow: SideMeasures; pos: SideMeasures };
  notes: string[];
  charts: CompareChart[];
  /** Everything read from the nodes, for re-analysis. */
  runs: { pow: RawRun; pos: RawRun };
}

/** The files written, relative to the dir. */
export interface WrittenCompare {
  dir: string;
  json: string;
  markdown: string;
  charts: string[];
}

const TAG: Record<Basis, string> = {
  measured: "m",
  theory: "t",
  "theory on measured": "t·m",
  "by construction": "c",
};

const escapeCell = (s: string) => s.replace(/\|/g, "\\|");

/** report.md: the run's facts, the table, the legend, the notes and the charts. */
export function renderCompareMarkdown(r: CompareReport, chartFiles: readonly string[]): string {
  const o = r.options;
  const lines = [
    "# PoW against PoS",
    "",
    `The same transfer load (${o.load} tx/s) on a ${o.nodes}-node PoW testnet and a ${o.nodes}-node PoS testnet with the same block interval (${o.blockMs / 1000} s), one after the other, ${o.blocks} blocks measured on each; every node a \`chainlab node\` process.`,
    "",
    `- seed ${o.seed}${o.quick ? " (quick run)" : ""}; order: ${r.order.join(" then ")}; took ${(r.durationMs / 1000).toFixed(0)} s, started ${r.startedAt}`,
    `- PoW: ${o.nodes} miners sharing ${o.hashrate.toLocaleString("en-US")} h/s (throttled), ASERT difficulty; PoS: ${r.measures.pos.attack.kind === "pos" ? r.measures.pos.attack.activeValidators : "?"} validators, ${o.epochSlots}-slot epochs`,
    `- machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.totalMemoryMiB} MiB, Node ${r.machine.node}`,
    "",
    "| Measure | PoW | PoS | What it means |",
    "| --- | --- | --- | --- |",
    ...r.rows.map(
      (row) =>
        `| ${escapeCell(row.measure)} | ${escapeCell(row.pow.text)} [${TAG[row.pow.basis]}] | ${escapeCell(row.pos.text)} [${TAG[row.pos.basis]}] | ${escapeCell(row.meaning)} |`,
    ),
    "",
    "[m] measured on the testnet; [t] theory (a closed form); [t·m] a closed form applied to a measured figure; [c] by construction.",
    "",
  ];
  if (r.notes.length > 0)
    lines.push("## How each figure is obtained", "", ...r.notes.flatMap((n) => [n, ""]));
  if (chartFiles.length > 0) lines.push("## Charts", "", ...chartFiles.map((f) => `![${f}](${f})`), "");
  lines.push(
    "Every figure's inputs (blocks, counters, balances, polls) are in report.json under `runs`.",
    "",
  );
  return lines.join("\n");
}

/** Writes DIR/report.json, DIR/report.md and DIR/<chart>.svg. */
export async function writeCompareReport(dir: string, r: CompareReport): Promise<WrittenCompare> {
  await mkdir(dir, { recursive: true });
  const charts: string[] = [];
  for (const c of r.charts) {
    const file = `${c.file}.svg`;
    await writeAtomic(join(dir, file), await renderSpecSvg(c.spec));
    charts.push(file);
  }
  await writeAtomic(join(dir, "report.json"), `${JSON.stringify(r, null, 2)}\n`);
  await writeAtomic(join(dir, "report.md"), renderCompareMarkdown(r, charts));
  return { dir, json: "report.json", markdown: "report.md", charts };
}
