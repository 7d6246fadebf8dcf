/** Shared waits and process checks for the testnet integration and e2e tests. */
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { NodeStatus, Testnet } from "../../../src/testnet/index.ts";

/** Test-friendly testnet defaults: 0.5 s blocks, modest hashrate, few accounts. */
export const FAST = { blockTimeSeconds: 0.5, hashratePerMiner: 50_000, accounts: 8 } as const;

/** Polls `probe` until it returns a value other than undefined/false; fails with the last state on timeout. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 150,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Status of the given nodes, or undefined unless all of them are up. */
export async function upStatus(net: Testnet, nodes?: number[]): Promise<NodeStatus[] | undefined> {
  const st = await net.status();
  const picked = nodes ? nodes.map((i) => st[i]!) : st;
  return picked.every((s) => s.up && s.height !== undefined) ? picked : undefined;
}

/** Max minus min height. */
export function spread(st: NodeStatus[]): number {
  const h = st.map((s) => s.height!);
  return Math.max(...h) - Math.min(...h);
}

/** Lowest height among the nodes. */
export function minHeight(st: NodeStatus[]): number {
  return Math.min(...st.map((s) => s.height!));
}

/** The canonical block hash at `height` on node `i`, or undefined. */
export async function hashAt(net: Testnet, i: number, height: number): Promise<string | undefined> {
  const c = await net.client(i);
  const b = await c.call<{ hash: string } | null>("chain_getBlockByHeight", { height });
  return b?.hash;
}

/** Every pid recorded in DIR/testnet.json. */
export async function manifestPids(dir: string): Promise<number[]> {
  const m = JSON.parse(await readFile(join(dir, "testnet.json"), "utf8")) as { nodes: { pid?: number }[] };
  return m.nodes.map((n) => n.pid).filter((p): p is number => typeof p === "number");
}

/** True when `process.kill(pid, 0)` reports ESRCH (the pid is gone). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Pids of live processes whose command line mentions `needle` (e.g. a testnet dir). */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmd.includes(needle) && state !== "Z") found.push(Number(entry));
    } catch {
      // exited while scanning
    }
  }
  return found;
}

/** SIGKILLs whatever a failed test left behind (best effort, by pid). */
export function killLeftovers(dir: string): void {
  for (const pid of processesMentioning(dir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}
