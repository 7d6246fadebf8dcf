/**
 * Serving the dashboard for a testnet: attached to a live Testnet object (`chainlab testnet up`,
 * which also owns in-process nodes) or to a testnet dir whose nodes run detached (`chainlab
 * dashboard --dir`), where the manifest is re-read every round so restarts from the CLI are followed.
 */
import { readManifest, Testnet } from "../testnet/index.ts";
import { Controls } from "./controls.ts";
import { Poller } from "./poller.ts";
import { type Dashboard, startDashboard } from "./server.ts";

/** Options of serveDashboard: a live testnet or a testnet dir. */
export type ServeOptions = ({ testnet: Testnet } | { dir: string }) & {
  port?: number;
  pollIntervalMs?: number;
};

/** Starts the poller and the dashboard server for a testnet. */
export async function serveDashboard(o: ServeOptions): Promise<Dashboard> {
  let poller: Poller;
  let controls: Controls;
  const timing = o.pollIntervalMs !== undefined ? { intervalMs: o.pollIntervalMs } : {};
  if ("testnet" in o) {
    const net = o.testnet;
    poller = new Poller({ manifest: async () => net.manifest, ...timing });
    controls = new Controls(async () => net);
  } else {
    const dir = (await Testnet.open(o.dir)).dir;
    poller = new Poller({ manifest: () => readManifest(dir), ...timing });
    controls = new Controls(() => Testnet.open(dir));
  }
  return startDashboard({ poller, controls, ...(o.port !== undefined ? { port: o.port } : {}) });
}
