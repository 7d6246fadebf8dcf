/**
 * The comparison's charts as vega-lite specs (kept in report.json) rendered to SVG in Node:
 * block interval distributions side by side, CPU per block by node, inclusion latency, finality.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { SideMeasures } from "./measures.ts";

/** A chart of the comparison: its file name (without .svg) and its vega-lite spec. */
export interface CompareChart {
  file: string;
  spec: Record<string, unknown>;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const COLORS = { domain: ["PoW", "PoS"], range: ["#d95f02", "#1b9e77"] };
const label = (m: SideMeasures) => (m.consensus === "pow" ? "PoW" : "PoS");

function intervals(pow: SideMeasures, pos: SideMeasures): CompareChart {
  const values = [pow, pos].flatMap((m) =>
    m.intervalsMs.map((ms) => ({ consensus: label(m), seconds: ms / 1000 })),
  );
  return {
    file: "block-intervals",
    spec: {
      $schema: SCHEMA,
      title: {
        text: "Block intervals",
        subtitle: "canonical blocks of the measured window, same target interval",
      },
      background: "white",
      data: { values },
      mark: { type: "bar", opacity: 0.85 },
      encoding: {
        x: { field: "seconds", type: "quantitative", bin: { maxbins: 24 }, title: "interval (s)" },
        y: { aggregate: "count", type: "quantitative", title: "blocks" },
        color: { field: "consensus", type: "nominal", scale: COLORS, title: "" },
        column: { field: "consensus", type: "nominal", title: null, sort: ["PoW", "PoS"] },
      },
      width: 260,
      height: 220,
    },
  };
}

function cpu(pow: SideMeasures, pos: SideMeasures): CompareChart {
  const values = [pow, pos].flatMap((m) =>
    m.cpuSecondsPerBlockByNode.map((s, i) => ({ consensus: label(m), node: `node-${i}`, seconds: s })),
  );
  return {
    file: "cpu-per-block",
    spec: {
      $schema: SCHEMA,
      title: { text: "CPU-seconds per block", subtitle: "each node process (all threads), stacked" },
      background: "white",
      data: { values },
      mark: "bar",
      encoding: {
        x: { field: "consensus", type: "nominal", sort: ["PoW", "PoS"], title: null },
        y: { field: "seconds", type: "quantitative", aggregate: "sum", title: "CPU-seconds per block" },
        color: { field: "node", type: "nominal", title: "node" },
      },
      width: 240,
      height: 260,
    },
  };
}

function latency(pow: SideMeasures, pos: SideMeasures): CompareChart {
  const values = [pow, pos].flatMap((m) => [
    { consensus: label(m), stat: "p50", seconds: (m.throughput.latencyP50Ms ?? 0) / 1000 },
    { consensus: label(m), stat: "p95", seconds: (m.throughput.latencyP95Ms ?? 0) / 1000 },
  ]);
  return {
    file: "inclusion-latency",
    spec: {
      $schema: SCHEMA,
      title: {
        text: "Inclusion latency",
        subtitle: "submission to the first block holding the tx, same load",
      },
      background: "white",
      data: { values },
      mark: "bar",
      encoding: {
        x: { field: "stat", type: "nominal", title: null },
        xOffset: { field: "consensus", type: "nominal", sort: ["PoW", "PoS"] },
        y: { field: "seconds", type: "quantitative", title: "seconds" },
        color: { field: "consensus", type: "nominal", scale: COLORS, title: "" },
      },
      width: 260,
      height: 240,
    },
  };
}

function finality(pow: SideMeasures, pos: SideMeasures): CompareChart {
  const values = [
    ...(pow.confirmations ?? []).map((c) => ({
      what: `PoW q=${c.q} (${c.z} conf.)`,
      seconds: c.seconds,
      basis: "theory × interval",
    })),
    ...(pos.finalityMs && pos.finalityMs.n > 0
      ? [
          { what: "PoS p50", seconds: pos.finalityMs.p50 / 1000, basis: "measured" },
          { what: "PoS p95", seconds: pos.finalityMs.p95 / 1000, basis: "measured" },
        ]
      : []),
  ];
  return {
    file: "finality",
    spec: {
      $schema: SCHEMA,
      title: {
        text: "Time to finality",
        subtitle: "PoW: confirmations for P < 0.1% (whitepaper); PoS: to the finalized checkpoint",
      },
      background: "white",
      data: { values },
      mark: "bar",
      encoding: {
        y: { field: "what", type: "nominal", sort: null, title: null },
        x: { field: "seconds", type: "quantitative", title: "seconds" },
        color: { field: "basis", type: "nominal", title: "", legend: { labelLimit: 300 } },
      },
      width: 360,
      height: 160,
    },
  };
}

/** The charts of a comparison. */
export function compareCharts(pow: SideMeasures, pos: SideMeasures): CompareChart[] {
  return [intervals(pow, pos), cpu(pow, pos), latency(pow, pos), finality(pow, pos)];
}

/** Renders a vega-lite spec to SVG without a browser. */
export async function renderSpecSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
