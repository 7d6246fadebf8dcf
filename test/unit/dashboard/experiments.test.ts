import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExperimentRuns, type RunView } from "../../../src/dashboard/experiments.ts";
import { Poller } from "../../../src/dashboard/poller.ts";
import { type Dashboard, startDashboard } from "../../../src/dashboard/server.ts";
import { tempDir } from "../../helpers/fixtures.ts";

const point = (id: string, q: number, successes: number, trials: number, predicted: number) => ({
  id,
  coords: { q, z: 2 },
  trials,
  successes,
  estimate: trials > 0 ? successes / trials : null,
  lo: 0.1,
  hi: 0.6,
  predicted: { exact: predicted, nakamoto: 0.9 },
  primary: "exact",
  theoryInside: true,
});

let root: { path: string; cleanup: () => Promise<void> };
let extra: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  root = await tempDir("chainlab-dash-exp-");
  extra = await tempDir("chainlab-dash-exp-extra-");
  const done = join(root.path, "double-spend-1");
  await mkdir(done);
  await writeFile(
    join(done, "report.json"),
    JSON.stringify({
      version: 1,
      scenario: "double-spend",
      seed: 7,
      startedAt: "2026-12-02T10:00:00.000Z",
      finishedAt: "2026-12-02T10:05:00.000Z",
      points: [point("q=0.1", 0.1, 1, 20, 0.05), point("q=0.3", 0.3, 6, 20, 0.3)],
      charts: [
        { file: "success", title: "success rate" },
        { file: "outside", title: "a symlink out of the run dir" },
        { file: "../../etc/passwd", title: "traversal" },
      ],
      fit: { chiSquare: 1.2, pValue: 0.5, degreesOfFreedom: 2, extra: "dropped" },
      trials: [],
    }),
  );
  await writeFile(join(done, "success.svg"), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  await writeFile(join(done, "unlisted.svg"), "<svg/>");
  await writeFile(join(extra.path, "secret.svg"), "<svg>secret</svg>");
  await symlink(join(extra.path, "secret.svg"), join(done, "outside.svg"));
  const running = join(root.path, "selfish-2");
  await mkdir(running);
  await writeFile(
    join(running, "progress.json"),
    JSON.stringify({
      version: 1,
      scenario: "selfish",
      seed: 3,
      startedAt: "2026-12-02T11:00:00.000Z",
      updatedAt: "2026-12-02T11:01:00.000Z",
      state: "running",
      done: 5,
      total: 40,
      points: [point("q=0.2", 0.2, 2, 5, 0.3), point("q=0.4", 0.4, 0, 0, 0.6)],
    }),
  );
  await mkdir(join(root.path, "broken"));
  await writeFile(join(root.path, "broken", "report.json"), "{ not json");
  await mkdir(join(root.path, "not-a-run"));
  // A root that is itself a run dir.
  await writeFile(
    join(extra.path, "progress.json"),
    JSON.stringify({
      scenario: "next-block",
      state: "failed",
      error: "trial 3 failed",
      done: 2,
      total: 9,
      points: [],
    }),
  );
});

afterAll(async () => {
  await root?.cleanup();
  await extra?.cleanup();
});

describe("experiment runs", () => {
  it("lists running runs first, then finished ones, from run dirs and folders of run dirs", async () => {
    const runs = new ExperimentRuns([root.path, extra.path, join(root.path, "missing")]);
    await runs.scan();
    const list = runs.list();
    expect(list.map((r) => [r.scenario, r.state])).toEqual([
      ["selfish", "running"],
      ["double-spend", "finished"],
      ["next-block", "failed"],
    ]);
    const running = list[0]!;
    expect(running).toMatchObject({ done: 5, total: 40, seed: 3, charts: [] });
    expect(running.points.map((p) => [p.id, p.estimate, p.predicted])).toEqual([
      ["q=0.2", 0.4, 0.3],
      ["q=0.4", null, 0.6],
    ]);
    const finished = list[1]!;
    expect(finished.charts.map((c) => c.file)).toEqual(["success.svg", "outside.svg"]);
    expect(finished.fit).toEqual({ chiSquare: 1.2, pValue: 0.5, degreesOfFreedom: 2 });
    expect(running.fit).toBeUndefined();
    expect(list[2]).toMatchObject({ error: "trial 3 failed", name: extra.path.split("/").pop() });
  });

  it("serves only the charts a report lists, from inside its own dir", async () => {
    const runs = new ExperimentRuns([root.path]);
    await runs.scan();
    const id = runs.list().find((r) => r.state === "finished")!.id;
    expect((await runs.chart(id, "success.svg"))?.toString()).toContain("<svg");
    expect(await runs.chart(id, "unlisted.svg")).toBeUndefined();
    expect(await runs.chart(id, "outside.svg")).toBeUndefined();
    expect(await runs.chart(id, "../../etc/passwd.svg")).toBeUndefined();
    expect(await runs.chart("0000000000000000", "success.svg")).toBeUndefined();
  });

  describe("over HTTP", () => {
    let dashboard: Dashboard;
    let finished: RunView;
    beforeAll(async () => {
      const runs = new ExperimentRuns([root.path]);
      const poller = new Poller({ manifest: () => Promise.reject(new Error("no testnet")) });
      dashboard = await startDashboard({ poller, experiments: runs, experimentsScanMs: 60_000 });
      await runs.scan();
      finished = runs.list().find((r) => r.state === "finished")!;
    });
    afterAll(async () => {
      await dashboard?.stop();
    });

    it("serves a listed chart as SVG under the strict CSP and refuses anything else", async () => {
      const ok = await fetch(`${dashboard.url}experiments/${finished.id}/success.svg`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe("image/svg+xml");
      expect(ok.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(ok.headers.get("x-content-type-options")).toBe("nosniff");
      for (const path of [
        `experiments/${finished.id}/unlisted.svg`,
        `experiments/${finished.id}/outside.svg`,
        `experiments/${finished.id}/..%2F..%2Fetc%2Fpasswd`,
        `experiments/${finished.id}/%2e%2e%2fsuccess.svg`,
        `experiments/${finished.id}/%zz.svg`,
        `experiments/${finished.id}/../${finished.id}/success.svg/x`,
      ]) {
        const r = await fetch(`${dashboard.url}${path}`);
        expect(r.status, path).toBe(404);
      }
      const state = (await (await fetch(`${dashboard.url}api/state`)).json()) as { experiments: RunView[] };
      expect(state.experiments.map((r) => r.scenario).sort()).toEqual(["double-spend", "selfish"]);
    });
  });
});
