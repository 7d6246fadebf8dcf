/** double-spend --quick on real in-process nodes: the three report files exist, parse and agree. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { findScenario, runScenario } from "../../../src/experiments/index.ts";

let out = "";
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

it("double-spend --quick writes a consistent report with measured and predicted values", async () => {
  out = await mkdtemp(join(tmpdir(), "chainlab-ds-"));
  const { report } = await runScenario(findScenario("double-spend"), { out, quick: true, seed: 12 });
  const json = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
  expect(json.seed).toBe(12);
  expect(json.points.length).toBe(2);
  for (const p of json.points) {
    expect(p.trials).toBe(report.trialsPerPoint);
    expect(p.estimate).toBeGreaterThanOrEqual(0);
    expect(p.estimate).toBeLessThanOrEqual(1);
    expect(p.predicted.whitepaper).toBeGreaterThan(0);
    expect(p.predicted.exact).toBeGreaterThan(0);
  }
  // Internally consistent: a success is a release after which the merchant's payment is gone and
  // the conflicting spend is in its chain; a failure leaves the payment included.
  for (const t of json.trials) {
    if (t.success) {
      expect(t.data.decision).toBe("release");
      expect(t.data.merchantPayment).not.toBe("included");
      expect(t.data.merchantConflict).toBe("included");
    } else expect(t.data.merchantPayment).toBe("included");
    expect(t.data.conflictPremined).toBe(true);
    expect(t.data.foreignBlocks).toBe(0);
  }
  expect(json.metrics.hashrateShares[0].attackerBlocks).toBeGreaterThan(0);
  const md = await readFile(join(out, "report.md"), "utf8");
  const first = json.points[0];
  expect(md).toContain(`| ${first.coords.q} | ${first.coords.z} | ${first.trials} | ${first.successes} |`);
  expect(md).toContain(first.predicted.whitepaper.toFixed(4));
  const svg = await readFile(join(out, "double-spend.svg"), "utf8");
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg).toContain("confirmations z (blocks)");
}, 90_000);
