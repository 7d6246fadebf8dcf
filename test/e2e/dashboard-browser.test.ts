/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * against a real 4-node testnet: the node table shows four nodes whose heights rise, with
 * chainlab's and Node's versions; a control without the token, or from a foreign Origin, is
 * refused; with the page's token a partition shows two tips and splits the topology, the heal
 * shows one tip and a reorg; a killed node shows as down and comes back after a restart; a load
 * started from the page shows in the tx/s column; an
 * experiment run shows its progress while it runs and its report's chart when it is done. Every
 * request the page makes stays on the dashboard's own 127.0.0.1 address (and the browser resolves
 * no other host). The final screenshot is kept in test-artifacts/ and must not be blank.
 * Skips, saying why, when chromium is not installed.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, serveDashboard } from "../../src/dashboard/index.ts";
import { defineScenario, runScenario } from "../../src/experiments/index.ts";
import { Testnet } from "../../src/testnet/index.ts";
import { tempDir } from "../helpers/fixtures.ts";
import { FAST } from "../integration/testnet/helpers.ts";
import { browserTitle, HAVE_CHROMIUM, openBrowser, until } from "./browser.ts";

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/dashboard-browser/", import.meta.url));

/** Heights in the node table by node name (undefined for "–"). */
const heights = (page: Page) =>
  page.$$eval("#nodes tbody tr", (rows) =>
    rows.map((r) => [
      r.getAttribute("data-node"),
      Number(r.querySelector('[data-col="height"]')?.textContent),
    ]),
  );

const ROWS = `const rows = [...document.querySelectorAll("#nodes tbody tr")];
  const col = (r, c) => r.querySelector('[data-col="' + c + '"]');`;

/** A two-point scenario whose first trial waits for `gate`, so the page can see it running. */
function gatedScenario(gate: Promise<void>) {
  return defineScenario({
    name: "gated-coin",
    description: "a biased coin whose first trial waits for the test",
    params: {},
    trials: { default: 3, quick: 3 },
    async run(ctx) {
      const points = [0.2, 0.6].map((p) => ({
        id: `p=${p}`,
        coords: { p },
        predicted: { exact: p },
        primary: "exact",
      }));
      const recs = await ctx.trialLoop(points, 3, async (point, rng, index) => {
        if (index === 1) await gate;
        return { success: rng.next() < point.coords.p!, data: {} };
      });
      ctx.chart({
        file: "coin",
        title: "coin heads rate",
        xTitle: "bias p",
        yTitle: "heads rate",
        seriesTitle: "series",
        theory: [0, 1].map((x) => ({ x, y: x, series: "exact" })),
        measured: points.map((p) => {
          const mine = recs.filter((r) => r.point === p.id);
          const y = mine.filter((r) => r.success).length / mine.length;
          return { x: p.coords.p!, y, lo: 0, hi: 1, series: "exact", trials: mine.length };
        }),
      });
    },
  });
}

// retry: under full-suite load the fork tree once took over 40 s to show one tip after the heal.
describe.skipIf(!HAVE_CHROMIUM)(
  browserTitle("dashboard in headless Chromium"),
  { timeout: 90_000, retry: 1 },
  () => {
    let dir: { path: string; cleanup: () => Promise<void> };
    let net: Testnet;
    let dashboard: Dashboard;
    let chrome: Awaited<ReturnType<typeof openBrowser>>;

    beforeAll(async () => {
      dir = await tempDir("chainlab-dashboard-e2e-");
      net = await Testnet.start({ dir: join(dir.path, "testnet"), nodes: 4, inProcess: true, ...FAST });
      dashboard = await serveDashboard({
        testnet: net,
        port: 0,
        pollIntervalMs: 250,
        experimentsScanMs: 250,
      });
      chrome = await openBrowser(() => dashboard.url);
    }, 60_000);

    afterAll(async () => {
      await chrome?.close();
      await dashboard?.stop();
      await net?.stop();
      await dir?.cleanup();
    });

    it("follows a 4-node testnet through a partition, a heal, a kill and a restart", async () => {
      const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
      const page = await chrome.browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(dashboard.controlUrl);
      // The token leaves the address bar at once.
      expect(page.url()).toBe(dashboard.url);
      await page.waitForSelector("#mode.control");

      // Four nodes up on one head hash, each reporting chainlab's and Node's versions.
      await until(
        page,
        `${ROWS}
      const hashes = rows.map((r) => col(r, "head")?.getAttribute("data-hash"));
      return rows.length === 4 && !!hashes[0] && hashes.every((h) => h === hashes[0]) &&
        rows.every((r) => col(r, "state")?.textContent === "up");`,
      );
      expect(
        await page.$$eval("#nodes tbody tr", (rs) => rs.map((r) => r.getAttribute("data-node"))),
      ).toEqual(["node-0", "node-1", "node-2", "node-3"]);
      // Drawn from PoW statuses, which have no PoS fields: no PoS panel.
      expect(await page.isHidden("#pos-card")).toBe(true);
      expect(await page.isVisible("#engine-card")).toBe(true);
      const versions = await page.$$eval('#nodes [data-col="version"]', (cs) => cs.map((c) => c.textContent));
      for (const v of versions) expect(v).toBe(`chainlab ${pkg.version} · node ${process.version}`);

      // A transfer load from the page's controls.
      await page.fill("#load-tps", "20");
      await page.fill("#load-duration", "20");
      await page.click('#load-form button[type="submit"]');
      await until(page, `return document.querySelector("#task")?.textContent.startsWith("load running");`);
      // Its rate shows in the tx/s column and its txs in the blocks while it runs (20 s); checked here,
      // not at the end, where a slow run can find the load over and the 10 s average back at 0.
      await until(
        page,
        `return [...document.querySelectorAll('#nodes [data-col="txrate"]')].some((c) => Number(c.textContent) > 0) &&
        document.querySelectorAll("#txs rect.bar").length > 0;`,
      );

      // Heights rise live: every node's height passes what the table showed a moment ago.
      const before = Math.max(...(await heights(page)).map(([, h]) => Number(h)));
      await until(
        page,
        `${ROWS} return rows.every((r) => Number(col(r, "height")?.textContent) > ${before});`,
      );

      // A control without the token, from the page itself: refused.
      const noToken = await page.evaluate(async () => {
        const r = await fetch("/api/control", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ action: "partition", groups: [[0], [1]] }),
        });
        return { status: r.status, body: await r.json() };
      });
      expect(noToken).toMatchObject({ status: 403, body: { error: { code: "DASHBOARD_NO_TOKEN" } } });
      // With the token but a foreign Origin (a cross-site request): refused.
      const crossSite = await fetch(`${dashboard.url}api/control`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Origin: "http://evil.example",
          "X-Dashboard-Token": dashboard.token,
        },
        body: JSON.stringify({ action: "heal" }),
      });
      expect(crossSite.status).toBe(403);
      expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe(
        "DASHBOARD_BAD_ORIGIN",
      );
      await page.waitForSelector('#topology svg[data-components="1"]');

      // Partition 0,1 | 2,3: the topology splits and each side grows its own tip (two blocks deep).
      await page.fill("#partition-groups", "0,1/2,3");
      await page.click('#partition-form button[type="submit"]');
      await page.waitForSelector('#topology svg[data-components="2"]', { timeout: 20_000 });
      await until(
        page,
        `const t = document.querySelector("#forktree svg");
      return t?.getAttribute("data-tips") === "2" &&
        document.querySelectorAll('#forktree rect[data-status="fork"]').length >= 2;`,
        40_000,
      );

      // Heal: one tip again, and the losing side's reorg is listed.
      await page.click("#heal");
      await page.waitForSelector('#topology svg[data-components="1"]', { timeout: 20_000 });
      await until(
        page,
        `return document.querySelector("#forktree svg")?.getAttribute("data-tips") === "1" &&
        document.querySelectorAll("#reorgs li").length > 0;`,
        40_000,
      );
      const reorg = await page.textContent("#reorgs li");
      expect(reorg).toMatch(/node-[0-3]: depth [1-9]\d* \(\+\d+\) at fork #\d+/);

      // Kill node-3 from its row: down in the table and the topology; restart: up and following.
      await page.locator('#nodes tr[data-node="node-3"] button', { hasText: "kill" }).click();
      await until(
        page,
        `const r = document.querySelector('#nodes tr[data-node="node-3"] [data-col="state"]');
      return r?.textContent === "down" && document.querySelector("#topology")?.textContent.includes("node-3 (down)");`,
      );
      await page.locator('#nodes tr[data-node="node-3"] button', { hasText: "restart" }).click();
      await until(
        page,
        `${ROWS}
      const hashes = rows.map((r) => col(r, "head")?.getAttribute("data-hash"));
      return rows.every((r) => col(r, "state")?.textContent === "up") && hashes.every((h) => h === hashes[0]) &&
        document.querySelector('#topology svg[data-components="1"]') !== null;`,
        40_000,
      );

      // An experiment run in the testnet's experiments/ dir: progress while it runs, then its chart.
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const run = runScenario(gatedScenario(gate), {
        out: join(net.dir, "experiments", "gated-coin"),
        seed: 4,
        quick: true,
      });
      await until(
        page,
        `const r = document.querySelector('#experiments .run[data-state="running"]');
      return !!r && r.textContent.includes("trials 1 / 6") && r.querySelector("svg[data-measured='1']") !== null;`,
      );
      open();
      await run;
      await until(
        page,
        `const img = document.querySelector('#experiments .run[data-state="finished"] img.report-chart');
      return !!img && img.complete && img.naturalWidth > 0 &&
        document.querySelector('#experiments .run[data-state="finished"] svg[data-measured="2"]') !== null &&
        document.querySelector('#experiments .run[data-state="finished"]').textContent.includes("fit against the theory: χ²");`,
      );

      await mkdir(ARTIFACTS, { recursive: true });
      const shot = await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
      const png = PNG.sync.read(shot);
      expect(png.width).toBe(1400);
      const colours = new Set<number>();
      let inked = 0;
      for (let i = 0; i < png.data.length; i += 4) {
        const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
        colours.add((r << 16) | (g << 8) | b);
        // Neither the page background (#f5f6f8) nor a card's white.
        if (!(r >= 0xf0 && g >= 0xf0 && b >= 0xf0)) inked++;
      }
      expect(colours.size).toBeGreaterThan(200);
      expect(inked / (png.width * png.height)).toBeGreaterThan(0.02);
      expect(errors).toEqual([]);
      expect(chrome.foreign).toEqual([]);
    });
  },
);
