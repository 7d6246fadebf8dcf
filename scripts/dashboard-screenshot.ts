/**
 * Regenerates the README's dashboard screenshot from a real run: a 4-node PoW testnet of node
 * processes under a transfer load, partitioned into 0,1 | 2,3 until each side has its own tip,
 * then healed (a reorg), with the experiment runs of --experiments DIR listed; the page is driven
 * through its own controls in headless Chromium (Debian's /usr/bin/chromium). With --dir it
 * attaches to a running testnet instead (e.g. a PoS one) and only waits for the page to fill;
 * --element shoots one panel (e.g. "#pos-card").
 *
 *   npm run docs:dashboard -- [--out docs/dashboard.png] [--experiments DIR ...]
 *     [--dir TESTNET --element SELECTOR] [--width 1400] [--json]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright-core";
import { serveDashboard } from "../src/dashboard/index.ts";
import { Testnet } from "../src/testnet/index.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "docs/dashboard.png" },
    experiments: { type: "string", multiple: true, default: [] },
    width: { type: "string", default: "1400" },
    dir: { type: "string" },
    element: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const started = Date.now();
const say = (m: string) => {
  if (!values.json) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
};

/** Waits until `body` (a function body run in the page) returns true. */
const until = (page: Page, what: string, body: string, timeout = 120_000) => {
  say(`waiting for ${what}`);
  return page.waitForFunction(new Function(body) as () => boolean, undefined, { timeout });
};

/** Load, partition until each side has its own tip, heal until one side reorgs: all from the page. */
async function exercise(page: Page): Promise<void> {
  await page.fill("#load-tps", "20");
  await page.fill("#load-duration", "30");
  await page.click('#load-form button[type="submit"]');
  await until(
    page,
    "height 12",
    `return Number(document.querySelector('#nodes [data-col="height"]')?.textContent) >= 12;`,
  );
  await page.fill("#partition-groups", "0,1/2,3");
  await page.click('#partition-form button[type="submit"]');
  await until(
    page,
    "two tips",
    `return document.querySelector("#forktree svg")?.getAttribute("data-tips") === "2" &&
      document.querySelectorAll('#forktree rect[data-status="fork"]').length >= 3;`,
  );
  await page.click("#heal");
  await until(
    page,
    "one tip and a reorg",
    `return document.querySelector("#forktree svg")?.getAttribute("data-tips") === "1" &&
      document.querySelectorAll("#reorgs li").length > 0 &&
      document.querySelector('#topology svg[data-components="1"]') !== null;`,
  );
}

const scratch =
  values.dir === undefined ? await mkdtemp(join(tmpdir(), "chainlab-dashboard-shot-")) : undefined;
const net = scratch
  ? await Testnet.start({
      dir: join(scratch, "testnet"),
      nodes: 4,
      blockTimeSeconds: 1,
      hashratePerMiner: 50_000,
      accounts: 64,
      onProgress: say,
    })
  : undefined;
const experiments = values.experiments.map((d) => resolve(d));
const dashboard = await serveDashboard(
  net ? { testnet: net, experiments } : { dir: resolve(values.dir!), experiments },
);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: Number(values.width), height: 1000 } });
  await page.goto(dashboard.controlUrl);
  await page.waitForSelector("#mode.control");
  if (net) await exercise(page);
  else
    await until(
      page,
      "the nodes' first rounds",
      `return document.querySelectorAll("#nodes tbody tr").length > 0;`,
    );
  // A PoS testnet: participation builds up epoch by epoch from the dashboard's own polls.
  if (await page.isVisible("#pos-card"))
    await until(
      page,
      "five epochs of participation",
      `return Number(document.querySelector("#pos-participation svg")?.getAttribute("data-epochs")) >= 5;`,
    );
  await until(
    page,
    "the report charts",
    `return [...document.querySelectorAll("img.report-chart")].every((i) => i.complete);`,
  );
  const out = resolve(values.out);
  if (values.element) await page.locator(values.element).screenshot({ path: out });
  else await page.screenshot({ path: out, fullPage: true });
  const best = await page.textContent("#headline .stat:nth-child(2) .value");
  if (values.json) process.stdout.write(`${JSON.stringify({ out, bestHeight: Number(best) })}\n`);
  else say(`wrote ${out} (best height ${best})`);
} finally {
  say("stopping");
  await browser.close();
  await dashboard.stop();
  await net?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}
// A load started from the page is not cancellable and would keep the process for its duration.
process.exit(0);
