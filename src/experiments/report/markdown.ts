/** report.md: the parameters, measured versus predicted with Wilson intervals, and the notes. */
import type { Report } from "./types.ts";

const fmt = (x: number): string =>
  !Number.isFinite(x) ? "-" : x === 0 ? "0" : x < 0.001 ? x.toExponential(2) : x.toFixed(4);

/** Renders the Markdown report. */
export function renderMarkdown(r: Report, chartFiles: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`# ${r.scenario}`, "", r.description, "");
  lines.push(
    `- seed: ${r.seed}${r.quick ? " (quick run)" : ""}`,
    `- trials per point: ${r.trialsPerPoint}; total trials: ${r.trials.length}`,
    `- started ${r.startedAt}, took ${(r.durationMs / 1000).toFixed(1)} s`,
    `- machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.totalMemoryMiB} MiB, ${r.machine.platform}/${r.machine.arch}, Node ${r.machine.node}`,
    `- parameters: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
      .join(" ")}`,
    "",
  );
  const coordNames = [...new Set(r.points.flatMap((p) => Object.keys(p.coords)))];
  const models = [...new Set(r.points.flatMap((p) => Object.keys(p.predicted)))];
  lines.push("## Measured versus predicted", "");
  lines.push(
    `| ${[...coordNames, "trials", "successes", "measured", "95% Wilson interval", ...models.map((m) => `predicted (${m})`), "theory inside"].join(" | ")} |`,
  );
  lines.push(`|${" --- |".repeat(coordNames.length + 5 + models.length)}`);
  for (const p of r.points) {
    lines.push(
      `| ${[
        ...coordNames.map((c) => String(p.coords[c] ?? "")),
        p.batches === undefined
          ? String(p.trials)
          : `${p.trials} ${p.unit ?? "units"} in ${p.batches} batches (deff ${(p.designEffect ?? 1).toFixed(2)})`,
        String(p.successes),
        fmt(p.estimate),
        `[${fmt(p.lo)}, ${fmt(p.hi)}]`,
        ...models.map((m) =>
          p.predicted[m] === undefined ? "-" : `${fmt(p.predicted[m])}${m === p.primary ? " *" : ""}`,
        ),
        p.theoryInside ? "yes" : "**no**",
      ].join(" | ")} |`,
    );
  }
  const inside = r.points.filter((p) => p.theoryInside).length;
  lines.push(
    "",
    ...(r.points.some((p) => p.batches !== undefined)
      ? [
          "Batched points count units (trials and successes are units, not batches); their interval is the Wilson interval on the effective sample n / deff, deff being the variance between batches over the binomial variance (at least 1).",
          "",
        ]
      : []),
    `\\* the model compared. Theory inside the 95% interval at ${inside} of ${r.points.length} points (about 95% expected by chance alone).`,
    `Sweep goodness of fit (Pearson chi-square against the compared model): χ² = ${r.fit.chiSquare.toFixed(2)} on ${r.fit.degreesOfFreedom} degrees of freedom, p = ${r.fit.pValue.toFixed(3)}.`,
    "",
  );
  if (Object.keys(r.metrics).length > 0) {
    lines.push("## Metrics", "", "```json", JSON.stringify(r.metrics, null, 2), "```", "");
  }
  if (r.notes.length > 0) lines.push("## Design and notes", "", ...r.notes.flatMap((n) => [n, ""]));
  if (chartFiles.length > 0) {
    lines.push("## Charts", "", ...chartFiles.map((f) => `![${f}](${f})`), "");
  }
  lines.push("Raw trials, every parameter and the seed are in report.json.", "");
  return lines.join("\n");
}
