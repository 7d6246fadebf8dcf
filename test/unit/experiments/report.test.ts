import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAssignments, resolveParams } from "../../../src/experiments/params.ts";
import { createRng } from "../../../src/experiments/rng.ts";
import { runScenario, trialSchedule } from "../../../src/experiments/runner.ts";
import { defineScenario } from "../../../src/experiments/scenario.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("seeded RNG and schedule", () => {
  it("the same seed gives the same stream and schedule; another seed does not", () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const points = ["a", "b", "c"].map((id) => ({ id, coords: {}, predicted: {}, primary: "m" }));
    const s1 = trialSchedule(createRng(7), points, 5).map((s) => [s.point.id, s.seed]);
    const s2 = trialSchedule(createRng(7), points, 5).map((s) => [s.point.id, s.seed]);
    const s3 = trialSchedule(createRng(8), points, 5).map((s) => [s.point.id, s.seed]);
    expect(s1).toEqual(s2);
    expect(s1).not.toEqual(s3);
    expect(s1.filter(([p]) => p === "b")).toHaveLength(5);
  });
});

describe("parameters from hostile strings", () => {
  const specs = {
    q: { type: "numbers", default: [0.1], quick: [0.3], min: 0.01, max: 0.49, description: "share" },
    z: { type: "numbers", default: [1, 2], integer: true, min: 1, max: 20, description: "confirmations" },
    n: { type: "integer", default: 3, min: 1, max: 10, description: "n" },
  } as const;
  it("parses, applies quick values, and rejects bad input with one-line typed errors", () => {
    expect(resolveParams(specs, {}, true)).toEqual({ q: [0.3], z: [1, 2], n: 3 });
    expect(resolveParams(specs, { q: "0.1,0.2", n: "4" }, false)).toEqual({ q: [0.1, 0.2], z: [1, 2], n: 4 });
    for (const [k, v] of [
      ["q", "0.6"],
      ["q", "abc"],
      ["q", "0.1,,0.2"],
      ["q", "0.1,0.1"],
      ["z", "1.5"],
      ["n", "1e3"],
      ["nope", "1"],
    ] as const) {
      expect(() => resolveParams(specs, { [k]: v }, false)).toThrow(
        expect.objectContaining({ code: "EXPERIMENT_BAD_PARAM" }),
      );
    }
    expect(parseAssignments(["a=1", "b=x=y"])).toEqual({ a: "1", b: "x=y" });
    expect(() => parseAssignments(["=1"])).toThrow(expect.objectContaining({ code: "EXPERIMENT_BAD_PARAM" }));
  });
});

describe("runner and report writers", () => {
  it("writes report.json, report.md and an SVG chart with the measured and predicted values", async () => {
    const out = await mkdtemp(join(tmpdir(), "chainlab-report-"));
    dirs.push(out);
    // A coin with known bias: the runner's plumbing, not a measurement.
    const coin = defineScenario({
      name: "coin",
      description: "a seeded coin",
      params: { p: { type: "numbers", default: [0.2, 0.7], description: "bias" } },
      trials: { default: 50, quick: 40 },
      async run(ctx) {
        const ps = ctx.params.p as number[];
        const points = ps.map((p) => ({
          id: `p=${p}`,
          coords: { p },
          predicted: { exact: p },
          primary: "exact",
        }));
        const recs = await ctx.trialLoop(points, ctx.trials, async (pt, rng) => ({
          success: rng.next() < pt.coords.p!,
          data: {},
        }));
        ctx.metric("trials", recs.length);
        ctx.note("design note");
        ctx.chart({
          file: "coin",
          title: "coin",
          xTitle: "bias p (probability)",
          yTitle: "heads rate (fraction of trials)",
          seriesTitle: "series",
          theory: [0, 1].map((x) => ({ x, y: x, series: "theory" })),
          measured: points.map((p) => ({
            x: p.coords.p!,
            y: 0.5,
            lo: 0.4,
            hi: 0.6,
            series: "theory",
            trials: 1,
          })),
        });
      },
    });
    const { report, written } = await runScenario(coin, { out, seed: 5, quick: true });
    expect(report.trials).toHaveLength(80);
    expect(report.points.map((p) => p.trials)).toEqual([40, 40]);
    const again = await runScenario(coin, { out, seed: 5, quick: true });
    expect(again.report.trials.map((t) => [t.point, t.seed, t.success])).toEqual(
      report.trials.map((t) => [t.point, t.seed, t.success]),
    );
    const json = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(json.seed).toBe(5);
    expect(json.params).toEqual({ p: [0.2, 0.7] });
    expect(json.machine.cpus).toBeGreaterThan(0);
    expect(json.points[0].predicted.exact).toBe(0.2);
    expect(json.points[0].lo).toBeLessThanOrEqual(json.points[0].estimate);
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain(
      "| p | trials | successes | measured | 95% Wilson interval | predicted (exact) | theory inside |",
    );
    expect(md).toContain("0.2000 *");
    expect(md).toContain("design note");
    expect(written.charts).toEqual(["coin.svg"]);
    const svg = await readFile(join(out, "coin.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("bias p (probability)");
    expect(svg).toContain("heads rate (fraction of trials)");
  });
});
