/** Headless Chromium for the dashboard's browser tests: Debian's /usr/bin/chromium via playwright-core. */
import { existsSync } from "node:fs";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { tempDir } from "../helpers/fixtures.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Any host but the dashboard's own address fails to resolve.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/** A describe title that says why the suite is skipped when Chromium is missing. */
export function browserTitle(name: string): string {
  return HAVE_CHROMIUM ? name : `${name} (skipped: ${CHROMIUM} not found; apt-get install chromium)`;
}

/** A browser with its own profile; `foreign` collects every request not to `allowedPrefix`. */
export async function openBrowser(allowedPrefix: () => string): Promise<{
  browser: BrowserContext;
  foreign: string[];
  close(): Promise<void>;
}> {
  const profile = await tempDir("chainlab-dashboard-chromium-");
  const browser = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  const foreign: string[] = [];
  browser.on("request", (r) => {
    if (!r.url().startsWith(allowedPrefix()) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  return {
    browser,
    foreign,
    async close() {
      await browser.close();
      await profile.cleanup();
    },
  };
}

/**
 * Waits until the page's state satisfies `body` (a function body run in the page on every frame).
 * It is passed as a function, which Playwright calls through the DevTools protocol: a string
 * predicate would be eval'd inside the page, which the dashboard's CSP (rightly) forbids.
 */
export function until(page: Page, body: string, timeout = 30_000) {
  return page.waitForFunction(new Function(body) as () => boolean, undefined, { timeout });
}
