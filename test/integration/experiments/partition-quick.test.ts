/** partition --quick on real in-process nodes: every trial converges to one chain, and the report's counts agree with each other. */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

it("partition --quick heals into one chain each trial; orphaned blocks and lost txs belong to the losing side", async () => {
  // A small gossip delay exercises the toolkit's gossip fault on every node.
  const { report, json, read } = await run("partition", 21, { "latency-ms": "5" });
  expect(json.trials).toHaveLength(report.trialsPerPoint);
  expect(json.metrics.notConverged).toBe(0);
  let forked = 0;
  for (const t of json.trials) {
    const d = t.data;
    // One chain: every node reports the same head hash, at or above where the sides stopped.
    expect(new Set(d.headsAfter).size).toBe(1);
    expect(d.headsAfter[0]).toBe(d.finalHead);
    expect(d.finalHeight).toBeGreaterThanOrEqual(d.forkHeight + Math.max(d.branchA, d.branchB));
    expect(d.convergenceMs).toBeGreaterThanOrEqual(0);
    if (d.branchA > 0 && d.branchB > 0) {
      forked++;
      // Exactly one side's branch was orphaned, whole; the kept side lost nothing.
      expect(["A", "B"]).toContain(d.kept);
      const [lostSide, keptSide] = d.kept === "A" ? ["B", "A"] : ["A", "B"];
      expect(d[`orphaned${lostSide}`]).toBe(d[`branch${lostSide}`]);
      expect(d[`orphaned${keptSide}`]).toBe(0);
      expect(d.reorgDepth).toBe(d[`branch${lostSide}`]);
      expect(d[`lost${keptSide}`]).toBe(0);
      // Without a tie no block was mined after the heal, so every tx of the lost branch is lost.
      if (!d.tie) expect(d[`lost${lostSide}`]).toBe(d[`confirmed${lostSide}`]);
      expect(t.success).toBe(d.kept === "A");
    }
  }
  expect(forked).toBeGreaterThan(0);
  const p = json.points[0];
  expect(p.predicted.poisson).toBeGreaterThan(0);
  expect(p.predicted.poisson).toBeLessThan(0.5);
  expect((await read("partition.svg")).startsWith("<svg")).toBe(true);
}, 90_000);
