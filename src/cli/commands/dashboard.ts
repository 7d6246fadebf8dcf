/** `chainlab dashboard --dir DIR`: the browser dashboard for a testnet started with --detach. */
import type { Command } from "commander";
import { serveDashboard } from "../../dashboard/index.ts";
import { printJson } from "../output.ts";
import { parseInteger } from "../parse.ts";

/** Registers the dashboard command. */
export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("serve the browser dashboard of a (detached) testnet on 127.0.0.1 until Ctrl-C")
    .option("--dir <dir>", "testnet directory", "testnet")
    .option("--port <port>", "port on 127.0.0.1 (default: a free port)")
    .option("--experiments <dir...>", "also list the experiment runs in these dirs (besides DIR/experiments)")
    .option("--json", "print the URLs as JSON")
    .action(async (o: { dir: string; port?: string; experiments?: string[]; json?: boolean }) => {
      const port = o.port !== undefined ? parseInteger(o.port, "port", 0, 65535) : 0;
      const dashboard = await serveDashboard({ dir: o.dir, port, experiments: o.experiments ?? [] });
      if (o.json) printJson({ url: dashboard.url, controlUrl: dashboard.controlUrl, port: dashboard.port });
      else {
        process.stdout.write(`dashboard: ${dashboard.controlUrl}\n`);
        process.stdout.write(
          `read-only: ${dashboard.url}\n(Ctrl-C stops the dashboard; the nodes keep running)\n`,
        );
      }
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await dashboard.stop();
    });
}
