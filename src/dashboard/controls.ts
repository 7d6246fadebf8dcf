/**
 * The dashboard's controls, carried out through the testnet library with the testnet's admin
 * authority: partition, heal, kill, restart and a transfer load. Requests are validated here; the
 * server has already checked Host, Origin and the session token.
 */
import { ChainlabError, describeError } from "../core/errors.ts";
import { runLoad, type Testnet } from "../testnet/index.ts";
import type { BackgroundTask } from "./view.ts";

/** A control request the page can send. */
export type ControlRequest =
  | { action: "partition"; groups: number[][] }
  | { action: "heal" }
  | { action: "kill"; node: number }
  | { action: "restart"; node: number }
  | { action: "load"; tps: number; durationSeconds: number };

/** Errors of the controls (bad requests, a load already running). */
export class DashboardError extends ChainlabError {}

const isIndex = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** Validates a control body; throws DASHBOARD_BAD_CONTROL. */
export function parseControl(body: unknown): ControlRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const bad = (reason: string) => new DashboardError("DASHBOARD_BAD_CONTROL", reason);
  switch (b["action"]) {
    case "heal":
      return { action: "heal" };
    case "kill":
    case "restart":
      if (!isIndex(b["node"])) throw bad("node must be a node index");
      return { action: b["action"], node: b["node"] };
    case "partition": {
      const g = b["groups"];
      if (
        !Array.isArray(g) ||
        g.length < 2 ||
        !g.every((x) => Array.isArray(x) && x.length > 0 && x.every(isIndex))
      )
        throw bad("groups must be at least two non-empty lists of node indexes");
      return { action: "partition", groups: g as number[][] };
    }
    case "load": {
      const tps = Number(b["tps"]);
      const durationSeconds = Number(b["durationSeconds"]);
      if (!(tps > 0 && tps <= 5000) || !(durationSeconds > 0 && durationSeconds <= 3600))
        throw bad("load needs 0 < tps <= 5000 and 0 < durationSeconds <= 3600");
      return { action: "load", tps, durationSeconds };
    }
    default:
      throw bad("action must be partition, heal, kill, restart or load");
  }
}

/** Runs controls against a testnet; `testnet()` returns the live one (attached or opened). */
export class Controls {
  task: BackgroundTask | undefined;
  private readonly testnet: () => Promise<Testnet>;

  constructor(testnet: () => Promise<Testnet>) {
    this.testnet = testnet;
  }

  /** Carries out one control; a load starts in the background and reports through `task`. */
  async run(req: ControlRequest): Promise<Record<string, unknown>> {
    const net = await this.testnet();
    const node = "node" in req ? req.node : undefined;
    if (node !== undefined && net.nodes[node] === undefined)
      throw new DashboardError("DASHBOARD_BAD_CONTROL", `no node ${node}`);
    switch (req.action) {
      case "partition":
        await net.partition(req.groups);
        return { partitioned: req.groups };
      case "heal":
        await net.heal();
        return { healed: true };
      case "kill":
        await net.kill(req.node);
        return { killed: net.nodes[req.node]!.name };
      case "restart":
        await net.restart(req.node);
        return { restarted: net.nodes[req.node]!.name };
      case "load":
        return this.startLoad(net, req.tps, req.durationSeconds);
    }
  }

  private startLoad(net: Testnet, tps: number, durationSeconds: number): Record<string, unknown> {
    if (this.task?.running) throw new DashboardError("DASHBOARD_BUSY", "a load is already running");
    const task: BackgroundTask = { kind: "load", running: true, startedAt: Date.now() };
    this.task = task;
    runLoad(net, { tps, durationSeconds, onProgress: (p) => (task.progress = { ...p }) }).then(
      (report) => {
        task.running = false;
        task.result = { ...report };
      },
      (err: unknown) => {
        task.running = false;
        task.error = describeError(err).message;
      },
    );
    return { load: "started", tps, durationSeconds };
  }
}
