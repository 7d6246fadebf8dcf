/**
 * Serving the dashboard for a testnet: attached to a live Testnet object (`chainlab testnet up`,
 * which also owns in-process nodes) or to a testnet dir whose nodes run detached (`chainlab
 * dashboard --dir`), where the manifest is re-read every round so restarts from the CLI are followed.
 */

import { join } from "node:path";
import { readManifest, Testnet } from "../testnet/index.ts";
import { Controls } from "./controls.ts";
import { ExperimentRuns } from "./experiments.ts";
import { Poller } from "./poller.ts";
import { type Dashboard, startDashboard } from "./server.ts";

/** Options of serveDashboard: a live testnet or a testnet dir. */
export type ServeOptions = ({ testnet: Testnet } | { dir: string }) & {
  port?: number;
  pollIntervalMs?: number;
  /** Experiment dirs listed beside the testnet's own `experiments/`. */
  experiments?: string[];
  experimentsScanMs?: number;
};

/** Starts the poller and the dashboard server for a testnet. */
export async function serveDashboard(o: ServeOptions): Promise<Dashboard> {
  let poller: Poller;
  let controls: Controls;
  let dir: string;
  const timing = o.pollIntervalMs !== undefined ? { intervalMs: o.pollIntervalMs } : {};
  if ("testnet" in o) {
    const net = o.testnet;
    poller = new Poller({ manifest: async () => net.manifest, ...timing });
    controls = new Controls(async () => net);
    dir = net.dir;
  } else {
    dir = (await Testnet.open(o.dir)).dir;
    poller = new Poller({ manifest: () => readManifest(dir), ...timing });
    controls = new Controls(() => Testnet.open(dir));
  }
  const experiments = new ExperimentRuns([join(dir, "experiments"), ...(o.experiments ?? [])]);
  return startDashboard({
    poller,
    controls,
    experiments,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.experimentsScanMs !== undefined ? { experimentsScanMs: o.experimentsScanMs } : {}),
  });
}
