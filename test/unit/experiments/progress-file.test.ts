import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openProgressFile, type RunProgress } from "../../../src/experiments/progress-file.ts";
import { runScenario } from "../../../src/experiments/runner.ts";
import { defineScenario } from "../../../src/experiments/scenario.ts";
import { tempDir } from "../../helpers/fixtures.ts";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("chainlab-progress-");
});
afterAll(async () => {
  await dir?.cleanup();
});

const read = async (d: string): Promise<RunProgress> =>
  JSON.parse(await readFile(join(d, "progress.json"), "utf8")) as RunProgress;

/** Waits until progress.json in `d` satisfies `ok` (it is written in the background). */
async function waitProgress(d: string, ok: (p: RunProgress) => boolean): Promise<RunProgress> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const p = await read(d).catch(() => undefined);
    if (p && ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`progress.json never matched (last: ${JSON.stringify(p)})`);
    await new Promise((r) => setImmediate(r));
  }
}

const coin = (failAt?: number) =>
  defineScenario({
    name: "coin",
    description: "biased coin",
    params: {},
    trials: { default: 4, quick: 4 },
    async run(ctx) {
      const points = [0.25, 0.75].map((p) => ({
        id: `p=${p}`,
        coords: { p },
        predicted: { exact: p },
        primary: "exact",
      }));
      await ctx.trialLoop(points, 4, async (point, rng, index) => {
        if (index === failAt) throw new Error("the node went away\nstack");
        if (index === 3) {
          // While the run goes on, progress.json already shows trials done and points so far.
          const p = await waitProgress(ctx.workDir.replace(/\/work$/, ""), (x) => x.done >= 3);
          expect(p).toMatchObject({ scenario: "coin", state: "running", total: 8, seed: 9 });
          expect(p.points.reduce((a, q) => a + q.trials, 0)).toBe(p.done);
        }
        return { success: rng.next() < point.coords.p!, data: {} };
      });
    },
  });

describe("progress.json", () => {
  it("follows a run and ends with the report's points, state finished", async () => {
    const out = join(dir.path, "run");
    const { report } = await runScenario(coin(), { out, seed: 9, quick: true });
    const p = await read(out);
    expect(p).toMatchObject({ state: "finished", done: 8, total: 8, scenario: "coin" });
    expect(p.points).toEqual(report.points);
  });

  it("ends in state failed with the error's first line when the scenario fails", async () => {
    const out = join(dir.path, "failing");
    await expect(runScenario(coin(5), { out, seed: 9, quick: true })).rejects.toThrow(/trial 6/);
    const p = await read(out);
    expect(p.state).toBe("failed");
    expect(p.error).toMatch(/^trial 6 \(p=0\.\d+\) failed: the node went away$/);
    expect(p.done).toBe(5);
  });

  it("coalesces updates and always writes the last one", async () => {
    const d = join(dir.path, "direct");
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    const f = openProgressFile(d, { scenario: "s", seed: 1, quick: false, startedAt: 0 }, 60_000);
    let computed = 0;
    for (let i = 1; i <= 1000; i++)
      f.update(i, 1000, () => {
        computed++;
        return [];
      });
    await f.finish();
    expect(computed).toBeLessThanOrEqual(2);
    expect(await read(d)).toMatchObject({
      done: 1000,
      total: 1000,
      state: "finished",
      startedAt: new Date(0).toISOString(),
    });
  });
});
