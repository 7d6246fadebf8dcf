/** attack report: re-rendering one run's report.json, merging runs, and refusing malformed reports. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineScenario,
  readReport,
  rerenderReports,
  runScenario,
  verifyReport,
} from "../../../src/experiments/index.ts";

/** Seeded coins: plain trials at p = 0.3, and batches of 10 units at p = 0.6 (no nodes needed). */
const coins = defineScenario({
  name: "coins",
  description: "seeded coin flips",
  params: {},
  trials: { default: 20, quick: 20 },
  async run(ctx) {
    const plain = { id: "p=0.3", coords: { p: 0.3 }, predicted: { coin: 0.3 }, primary: "coin" };
    const batched = {
      id: "p=0.6",
      coords: { p: 0.6 },
      predicted: { coin: 0.6 },
      primary: "coin",
      unit: "flips",
    };
    await ctx.trialLoop([plain, batched], ctx.trials, async (pt, rng) => {
      if (pt.id === plain.id) return { success: rng.next() < 0.3, data: {} };
      let heads = 0;
      for (let i = 0; i < 10; i++) if (rng.next() < 0.6) heads++;
      return { success: heads > 5, units: { successes: heads, count: 10 }, data: { heads } };
    });
    ctx.chart({
      file: "coins",
      title: "coins",
      xTitle: "p",
      yTitle: "heads",
      seriesTitle: "s",
      theory: [{ x: 0, y: 0, series: "s" }],
      measured: [{ x: 0.3, y: 0.3, lo: 0.2, hi: 0.4, series: "s", trials: 20 }],
    });
  },
});

let root = "";
let a = "";
let b = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "chainlab-rr-"));
  a = join(root, "a");
  b = join(root, "b");
  await runScenario(coins, { out: a, seed: 1 });
  await runScenario(coins, { out: b, seed: 2 });
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("attack report", () => {
  it("re-renders one run identically", async () => {
    const md = await readFile(join(a, "report.md"), "utf8");
    await writeFile(join(a, "report.md"), "stale");
    const { written } = await rerenderReports([a], undefined);
    expect(written.dir).toBe(a);
    expect(await readFile(join(a, "report.md"), "utf8")).toBe(md);
    expect((await readFile(join(a, "coins.svg"), "utf8")).startsWith("<svg")).toBe(true);
  });

  it("merges two runs of one scenario by pooling their trials per point", async () => {
    const out = join(root, "merged");
    const { report } = await rerenderReports([a, b], out);
    const ra = (await readReport(a)).report;
    const rb = (await readReport(b)).report;
    expect(report.trials.length).toBe(ra.trials.length + rb.trials.length);
    for (const p of report.points) {
      const pa = ra.points.find((x) => x.id === p.id)!;
      const pb = rb.points.find((x) => x.id === p.id)!;
      expect(p.successes).toBe(pa.successes + pb.successes);
      expect(p.trials).toBe(pa.trials + pb.trials);
      expect(p.hi - p.lo).toBeLessThan(pa.hi - pa.lo);
    }
    expect(report.points.find((p) => p.id === "p=0.6")!.trials).toBe(400);
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("2 runs merged");
    expect(md).toContain("400 flips in 40 batches");
  });

  it("refuses what is not a report, with one typed line", async () => {
    const bad = join(root, "bad");
    await runScenario(coins, { out: bad, seed: 3 });
    await writeFile(join(bad, "report.json"), "{ not json");
    await expect(rerenderReports([bad], undefined)).rejects.toMatchObject({ code: "EXPERIMENT_BAD_REPORT" });
    await expect(rerenderReports([join(root, "missing")], undefined)).rejects.toMatchObject({
      code: "EXPERIMENT_BAD_REPORT",
    });
    const good = JSON.parse(await readFile(join(a, "report.json"), "utf8"));
    for (const broken of [
      { ...good, version: 2 },
      { ...good, points: "x" },
      { ...good, charts: [{ ...good.charts[0], file: "../escape" }] },
      { ...good, trials: [{ ...good.trials[0], units: { successes: 11, count: 10 } }] },
    ]) {
      expect(() => verifyReport(broken, "r")).toThrow(
        expect.objectContaining({ code: "EXPERIMENT_BAD_REPORT" }),
      );
    }
    expect(verifyReport(good, "r").scenario).toBe("coins");
  });
});
