/**
 * The PoS panel in headless Chromium, fed the consensus_status rounds recorded from a real 4-node
 * PoS testnet (test/fixtures/dashboard/pos-status.json): the real server and page, with a poller
 * whose rows are those recordings (this branch cannot start a PoS testnet). The panel appears with
 * the lead node's clock, the checkpoints, participation per epoch, and the two slashed validators
 * with their evidence; the PoW engine table gives way to it; the page raises no error.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, type NodeRow, Poller, startDashboard } from "../../src/dashboard/index.ts";
import { browserTitle, HAVE_CHROMIUM, openBrowser, until } from "./browser.ts";

const sample = JSON.parse(
  await readFile(new URL("../fixtures/dashboard/pos-status.json", import.meta.url), "utf8"),
) as { rounds: { name: string; state: string; consensus: Record<string, unknown> }[][] };

describe.skipIf(!HAVE_CHROMIUM)(
  browserTitle("the PoS panel in headless Chromium"),
  { timeout: 60_000 },
  () => {
    let dashboard: Dashboard;
    let poller: Poller;
    let chrome: Awaited<ReturnType<typeof openBrowser>>;

    /** Shows a recorded round as the poller's last round. */
    const show = (round: (typeof sample.rounds)[number]) => {
      poller.rows = round.map(
        (r, index): NodeRow => ({
          name: r.name,
          index,
          miner: true,
          validators: [index, index + 4],
          state: "up",
          peerNames: [],
          consensus: r.consensus,
        }),
      );
      poller.participation.observe(poller.rows);
    };

    beforeAll(async () => {
      poller = new Poller({ manifest: () => Promise.reject(new Error("recorded rounds only")) });
      show(sample.rounds[0]!);
      dashboard = await startDashboard({ poller });
      chrome = await openBrowser(() => dashboard.url);
    });

    afterAll(async () => {
      await chrome?.close();
      await dashboard?.stop();
    });

    it("draws the clock, checkpoints, participation per epoch and the slashed validators", async () => {
      const page = await chrome.browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(dashboard.url);
      await until(page, `return document.querySelector("#pos-card")?.hidden === false;`);
      expect(await page.textContent('#pos-facts [data-fact="slot"]')).toBe("slot: 56");
      expect(await page.textContent('#pos-facts [data-fact="justified"]')).toBe("justified: epoch 5 · #29");
      expect(await page.textContent('#pos-facts [data-fact="finalized"]')).toBe("finalized: epoch 3 · #14");
      expect(await page.getAttribute("#pos-participation svg", "data-epochs")).toBe("4");
      expect(await page.locator("#pos-participation rect.partial").count()).toBe(1);
      expect(await page.getAttribute("#pos-slashed", "data-count")).toBe("2");
      expect(await page.locator("#pos-slashed summary").allTextContents()).toEqual([
        "double or surround vote",
        "double or surround vote",
      ]);
      expect(await page.locator("#pos-nodes tr").count()).toBe(5);
      expect(await page.isHidden("#engine-card")).toBe(true);
      expect(await page.textContent('#nodes tr[data-node="node-3"] [data-col="name"]')).toBe(
        "node-3 · validators 3,7",
      );

      // The next round (this poller has no nodes to poll, so it pushes no update: reload the page).
      show(sample.rounds[1]!);
      await page.reload();
      await until(
        page,
        `return document.querySelector("#pos-participation svg")?.getAttribute("data-epochs") === "8";`,
      );
      expect(await page.textContent('#pos-facts [data-fact="finalized"]')).toMatch(
        /^finalized: epoch 9 · #\d+$/,
      );
      expect(errors).toEqual([]);
      expect(chrome.foreign).toEqual([]);
    });
  },
);
