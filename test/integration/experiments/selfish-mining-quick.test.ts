/** selfish-mining --quick on real in-process nodes: a well-formed report whose batches agree with the chain. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { findScenario, runScenario } from "../../../src/experiments/index.ts";

let out = "";
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

it("selfish-mining --quick: shares in [0, 1], the strategy's bookkeeping matches the blocks read by RPC", async () => {
  out = await mkdtemp(join(tmpdir(), "chainlab-sm-"));
  const { report } = await runScenario(findScenario("selfish-mining"), { out, quick: true, seed: 21 });
  const json = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
  expect(json.points.map((p: { id: string }) => p.id)).toEqual(["alpha=0.4,gamma=0", "alpha=0.4,gamma=0.5"]);
  for (const p of json.points) {
    expect(p.batches).toBe(report.trialsPerPoint);
    expect(p.unit).toBe("blocks");
    expect(p.estimate).toBeGreaterThanOrEqual(0);
    expect(p.estimate).toBeLessThanOrEqual(1);
    expect(p.lo).toBeLessThanOrEqual(p.estimate);
    expect(p.hi).toBeGreaterThanOrEqual(p.estimate);
    expect(p.designEffect).toBeGreaterThanOrEqual(1);
  }
  for (const t of json.trials) {
    const d = t.data;
    // The attacker's count is the blocks with its coinbase on the final main chain (read by RPC).
    expect(t.units.successes).toBe(d.attackerMain);
    expect(t.units.count).toBe(d.toHeight - d.fromHeight);
    expect(t.units.count).toBeGreaterThanOrEqual(12);
    expect(d.attackerMain + d.honestMain).toBe(t.units.count);
    expect(d.foreignBlocks).toBe(0);
    expect(d.attackerMain).toBeLessThanOrEqual(d.attackerFound);
    expect(d.honestMain).toBeLessThanOrEqual(d.honestFound);
    // What the strategy did predicts the chain exactly unless a real fork got in the way.
    if (d.collisions === 0) expect(d.attackerMain).toBe(d.attackerMainExpected);
    expect(d.racesWon + d.racesSplit + d.racesLost).toBeLessThanOrEqual(d.races);
    if (d.gamma === 0) expect(d.racesLedByAttacker).toBe(0);
  }
  expect(json.metrics.inconsistentBatches).toBe(0);
  expect(json.metrics.hashrateShares[0].attackerFound).toBeGreaterThan(0);
  const md = await readFile(join(out, "report.md"), "utf8");
  expect(md).toContain("blocks in 2 batches");
  const svg = await readFile(join(out, "selfish-mining.svg"), "utf8");
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg).toContain("threshold γ=0");
}, 90_000);
