/** `chainlab compare`: PoW against PoS under the same load; thin over experiments/compare. */
import type { Command } from "commander";
import { COMPARE_LIMITS, type CompareReport, runCompare } from "../../experiments/compare/index.ts";
import { createProgress } from "../../experiments/index.ts";
import { printJson } from "../output.ts";
import { parseInteger } from "../parse.ts";

interface CompareFlags {
  blocks?: string;
  nodes?: string;
  load?: string;
  blockMs?: string;
  hashrate?: string;
  epochSlots?: string;
  out: string;
  seed?: string;
  quick?: boolean;
  json?: boolean;
  keepWork?: boolean;
}

const int = (v: string | undefined, flag: keyof typeof COMPARE_LIMITS) =>
  v === undefined ? undefined : parseInteger(v, flag, ...COMPARE_LIMITS[flag]);

function summary(r: CompareReport, dir: string, charts: readonly string[]): string {
  const width = Math.max(...r.rows.map((row) => row.measure.length));
  return [
    `compare: ${r.options.blocks} blocks each, ${r.options.nodes} nodes, ${r.options.load} tx/s, seed ${r.options.seed}, ${(r.durationMs / 1000).toFixed(0)} s`,
    ...r.rows.flatMap((row) => [
      `  ${row.measure.padEnd(width)}  PoW: ${row.pow.text}`,
      `  ${"".padEnd(width)}  PoS: ${row.pos.text}`,
    ]),
    `report: ${dir}/report.md, report.json${charts.map((c) => `, ${c}`).join("")}`,
  ].join("\n");
}

/** Registers `compare`. */
export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("the same transfer load on a PoW and a PoS testnet (node processes), measured side by side")
    .requiredOption("--out <dir>", "output dir for report.json, report.md and the SVG charts")
    .option("--blocks <n>", "blocks measured on each testnet (default 60; --quick 10)")
    .option("--nodes <n>", "nodes of each testnet (default 4; --quick 3)")
    .option("--load <tps>", "transfers per second offered to both (default 20; --quick 10)")
    .option("--block-ms <ms>", "block interval of both: PoW target and PoS slot (default 1000)")
    .option("--hashrate <h>", "PoW: total throttled hashes/s of the miners (default 400000)")
    .option("--epoch-slots <n>", "PoS: slots per epoch (default 8; --quick 4)")
    .option("--seed <s>", "seed (picks which testnet runs first)")
    .option("--quick", "a tiny run (tests, CI)")
    .option("--keep-work", "keep the testnets' dirs (DIR/work) after the run")
    .option("--json", "print the report JSON")
    .action(async (f: CompareFlags) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      try {
        const blocks = int(f.blocks, "blocks");
        const nodes = int(f.nodes, "nodes");
        const load = int(f.load, "load");
        const blockMs = int(f.blockMs, "block-ms");
        const hashrate = int(f.hashrate, "hashrate");
        const epochSlots = int(f.epochSlots, "epoch-slots");
        const seed = int(f.seed, "seed");
        const { report, written } = await runCompare({
          out: f.out,
          ...(blocks !== undefined ? { blocks } : {}),
          ...(nodes !== undefined ? { nodes } : {}),
          ...(load !== undefined ? { load } : {}),
          ...(blockMs !== undefined ? { blockMs } : {}),
          ...(hashrate !== undefined ? { hashrate } : {}),
          ...(epochSlots !== undefined ? { epochSlots } : {}),
          ...(seed !== undefined ? { seed } : {}),
          quick: f.quick === true,
          keepWork: f.keepWork === true,
          progress: createProgress(process.stderr, { unit: "blocks" }),
          signal: controller.signal,
        });
        if (f.json) printJson(report);
        else process.stdout.write(`${summary(report, written.dir, written.charts)}\n`);
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}
