/**
 * Charts: a small spec (theory curves and measured points with 95% error bars) compiled to
 * vega-lite, then to vega, and rendered to SVG in Node without a browser.
 */
import * as vega from "vega";
import * as vl from "vega-lite";

/** A chart of measured rates against a theory curve, one colour per series. */
export interface ChartSpec {
  /** File name without .svg. */
  file: string;
  title: string;
  xTitle: string;
  yTitle: string;
  /** Legend title of the series (e.g. "confirmations z"). */
  seriesTitle: string;
  /** The theory, densely sampled: one line per series. */
  theory: { x: number; y: number; series: string }[];
  /** Measured points with their interval. */
  measured: { x: number; y: number; lo: number; hi: number; series: string; trials: number }[];
  /** Log scale on y (probabilities spanning decades). */
  logY?: boolean;
  /** A linear y axis fitted to the data instead of [0, 1] (counts, times). */
  linearY?: boolean;
  /** Optional vertical rules (e.g. a profitability threshold), with labels. */
  rules?: { x: number; label: string }[];
}

/** The vega-lite spec of a chart (kept separate so it can be inspected or tested). */
export function chartToVegaLite(c: ChartSpec): vl.TopLevelSpec {
  const yScale = c.logY
    ? { type: "symlog" as const, constant: 0.001 }
    : c.linearY
      ? { zero: true }
      : { domain: [0, 1] as [number, number] };
  const x = { field: "x", type: "quantitative" as const, title: c.xTitle };
  const color = { field: "series", type: "nominal" as const, title: c.seriesTitle };
  const layer = [
    {
      data: { values: c.theory },
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x, y: { field: "y", type: "quantitative", title: c.yTitle, scale: yScale }, color },
    },
    {
      data: { values: c.measured },
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x, y: { field: "lo", type: "quantitative", scale: yScale }, y2: { field: "hi" }, color },
    },
    {
      data: { values: c.measured },
      mark: { type: "point", filled: true, size: 60, shape: "circle" },
      encoding: {
        x,
        y: { field: "y", type: "quantitative", scale: yScale },
        color,
        tooltip: [{ field: "trials" }, { field: "y" }, { field: "lo" }, { field: "hi" }],
      },
    },
    ...(c.rules && c.rules.length > 0
      ? [
          {
            data: { values: c.rules },
            mark: { type: "rule", strokeDash: [4, 4], color: "#666" },
            encoding: { x: { field: "x", type: "quantitative" } },
          },
          {
            // One label row per rule (pixels from the top), so labels of close rules do not overlap.
            data: { values: c.rules.map((r, i) => ({ ...r, labelY: 12 + 14 * i })) },
            mark: { type: "text", align: "left", dx: 4, dy: -4, color: "#444" },
            encoding: {
              x: { field: "x", type: "quantitative" },
              y: { field: "labelY", type: "quantitative", scale: null },
              text: { field: "label" },
            },
          },
        ]
      : []),
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: c.title, subtitle: "lines: theory; points: measured, bars: 95% Wilson interval" },
    width: 520,
    height: 320,
    background: "white",
    layer,
  } as vl.TopLevelSpec;
}

/** Renders a chart to an SVG string. */
export async function renderChartSvg(c: ChartSpec): Promise<string> {
  const compiled = vl.compile(chartToVegaLite(c)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
