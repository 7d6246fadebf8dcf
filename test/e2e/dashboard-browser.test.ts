/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * against a real 2-node testnet: the node table shows both nodes on equal head hashes, a control
 * without the token (or from a foreign Origin) is refused, and with the page's token a partition
 * splits the topology and a heal joins it again. Every request the page makes stays on the
 * dashboard's own address. Skips, saying why, when chromium is not installed.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, serveDashboard } from "../../src/dashboard/index.ts";
import { Testnet } from "../../src/testnet/index.ts";
import { tempDir } from "../helpers/fixtures.ts";
import { FAST } from "../integration/testnet/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const title = HAVE_CHROMIUM
  ? "dashboard in headless Chromium"
  : `dashboard in headless Chromium (skipped: ${CHROMIUM} not found; apt-get install chromium)`;

describe.skipIf(!HAVE_CHROMIUM)(title, { timeout: 60_000 }, () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let profile: { path: string; cleanup: () => Promise<void> };
  let net: Testnet;
  let dashboard: Dashboard;
  let browser: BrowserContext;
  const foreign: string[] = [];

  beforeAll(async () => {
    dir = await tempDir("chainlab-dashboard-e2e-");
    profile = await tempDir("chainlab-dashboard-chromium-");
    net = await Testnet.start({ dir: join(dir.path, "testnet"), nodes: 2, inProcess: true, ...FAST });
    dashboard = await serveDashboard({ testnet: net, port: 0, pollIntervalMs: 250 });
    browser = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    browser.on("request", (r) => {
      if (!r.url().startsWith(dashboard.url) && !r.url().startsWith("data:")) foreign.push(r.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await net?.stop();
    await profile?.cleanup();
    await dir?.cleanup();
  });

  it("shows the nodes, refuses controls without the token, and partitions with it", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(dashboard.controlUrl);
    // The token leaves the address bar at once.
    expect(page.url()).toBe(dashboard.url);
    await page.waitForSelector("#mode.control");

    // Both nodes up, on the same head hash.
    await page.waitForFunction(`(() => {
      const rows = [...document.querySelectorAll("#nodes tbody tr")];
      const hashes = rows.map((r) => r.querySelector('[data-col="head"]')?.getAttribute("data-hash"));
      const states = rows.map((r) => r.querySelector('[data-col="state"]')?.textContent);
      return rows.length === 2 && !!hashes[0] && hashes[0] === hashes[1] && states.every((s) => s === "up");
    })()`);
    expect(
      await page
        .locator("#nodes tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-node"))),
    ).toEqual(["node-0", "node-1"]);

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
    await page.waitForSelector('#topology svg[data-components="1"]');

    // With the page's token: the partition splits the topology, the heal joins it.
    await page.fill("#partition-groups", "0/1");
    await page.click('#partition-form button[type="submit"]');
    await page.waitForSelector('#topology svg[data-components="2"]', { timeout: 20_000 });
    await page.click("#heal");
    await page.waitForSelector('#topology svg[data-components="1"]', { timeout: 20_000 });

    const shot = join(dir.path, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(20_000);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
