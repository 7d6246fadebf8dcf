/** Starting, watching and stopping `chainlab node` processes for a testnet. */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { type RuntimeInfo, readRuntimeInfo } from "../node/data-dir.ts";
import { type NodeEntry, TestnetError } from "./manifest.ts";

/** True while a process with this pid exists. */
export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * V8 settings of testnet node processes, chosen by measurement (bench:testnet, README "Memory"):
 * a 2 MB young generation (semi-space) instead of up to 16 MB on 64-bit: scavenges come more
 * often but each is short, and the young garbage of gossip and RPC no longer sits in 32-48 MB of
 * touched semi-spaces per process; the old generation is capped far above the live heap (about
 * 40 MB at 1,000 tx/s) so a leak fails loudly instead of swapping the machine.
 */
export const NODE_V8_FLAGS = ["--max-semi-space-size=2", "--max-old-space-size=512"];

/** The flags node processes get: NODE_V8_FLAGS, or CHAINLAB_NODE_V8_FLAGS (space-separated) to measure others. */
function v8Flags(): string[] {
  const env = process.env.CHAINLAB_NODE_V8_FLAGS;
  return env === undefined ? NODE_V8_FLAGS : env.split(" ").filter(Boolean);
}

/** Spawns a detached node process (`entry` runs the `chainlab node` commands) logging to its log file; returns its pid. */
export async function spawnNode(
  node: NodeEntry,
  genesisFile: string,
  bootstrap: string[],
  entry: string,
  compileCache?: string,
): Promise<number> {
  await rm(`${node.dataDir}/node.json`, { force: true });
  const log = openSync(node.logFile, "a");
  try {
    const args = [...v8Flags(), entry, "start", "--data-dir", node.dataDir, "--genesis", genesisFile];
    for (const b of bootstrap) args.push("--bootstrap", b);
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ["ignore", log, log],
      env: {
        ...process.env,
        CHAINLAB_LOG_LEVEL: process.env.CHAINLAB_LOG_LEVEL ?? "info",
        // glibc gives each thread that mallocs an arena of its own; two are plenty for a node
        // (its main thread and at most one signature worker) and save 2-3 MB of RSS each.
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
        ...(compileCache !== undefined && process.env.NODE_COMPILE_CACHE === undefined
          ? { NODE_COMPILE_CACHE: compileCache }
          : {}),
      },
    });
    child.unref();
    if (child.pid === undefined)
      throw new TestnetError("TESTNET_SPAWN_FAILED", `could not start ${node.name}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function tailLog(file: string, lines = 5): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Waits until the node process published its RPC URL and multiaddrs in node.json. */
export async function waitForRuntime(node: NodeEntry, pid: number, timeoutMs = 30_000): Promise<RuntimeInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await readRuntimeInfo(node.dataDir);
    if (info?.pid === pid && info.rpcUrl !== undefined) return info;
    if (!isAlive(pid)) {
      const tail = await tailLog(node.logFile);
      const lastError =
        tail
          .split("\n")
          .reverse()
          .find((l) => l.includes("error")) ??
        tail.split("\n").at(-1) ??
        "";
      throw new TestnetError(
        "TESTNET_NODE_FAILED",
        `${node.name} exited during start-up: ${lastError.slice(0, 300)}`,
      );
    }
    if (Date.now() > deadline)
      throw new TestnetError("TESTNET_TIMEOUT", `${node.name} did not come up within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/** Sends `signal` and waits for the process to exit; escalates to SIGKILL after `graceMs`. */
export async function stopProcess(
  pid: number | undefined,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 15_000,
): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid!, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(25);
  }
}
