/** majority --quick on real in-process nodes: every honest node really replaced the k blocks. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { findScenario, runScenario } from "../../../src/experiments/index.ts";
import { rewriteBudget } from "../../../src/experiments/scenarios/majority.ts";

let out = "";
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

it("majority --quick: the rewrite replaced k blocks on every honest node, reorgs counted by each", async () => {
  out = await mkdtemp(join(tmpdir(), "chainlab-51-"));
  await runScenario(findScenario("majority"), { out, quick: true, seed: 5 });
  const json = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
  expect(json.points.length).toBe(1);
  const p = json.points[0];
  expect(p.estimate).toBeGreaterThanOrEqual(0);
  expect(p.estimate).toBeLessThanOrEqual(1);
  expect(p.predicted["first-passage"]).toBeGreaterThan(0);
  for (const t of json.trials) {
    const d = t.data;
    expect(d.rewrittenOnEveryHonestNode).toBe(true);
    expect(d.finalIsAttackers).toBe(true);
    expect(d.attackerBranch).toBeGreaterThan(d.honestBranch);
    expect(d.honestBranch).toBeGreaterThanOrEqual(d.k);
    expect(d.raceBlocks).toBeGreaterThanOrEqual(d.k + 1);
    expect(t.success).toBe(d.raceBlocks <= rewriteBudget(d.q, d.k));
    // Both honest nodes (the miner and the follower) reorged once past the k blocks.
    expect(d.reorgs).toEqual([1, 1]);
    for (const depth of d.reorgDepths) expect(depth).toBe(d.honestBranch);
  }
  expect(json.metrics.inconsistentTrials).toBe(0);
  expect(json.metrics.rewrite[0].expectedBlocks).toBeCloseTo((2 + 1) / (2 * 0.75 - 1), 12);
  const svg = await readFile(join(out, "majority.svg"), "utf8");
  expect(svg).toContain("blocks rewritten k");
}, 90_000);
