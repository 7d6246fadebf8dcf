/**
 * The `chainlab testnet` CLI as a user runs it: `up --detach`, `status --json`, `partition`,
 * `heal` and `down` as separate processes with their exit codes and JSON, and a foreground `up`
 * that stops every node and exits 0 on Ctrl-C (SIGINT).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/fixtures.ts";
import { isGone, killLeftovers, manifestPids, waitFor } from "../integration/testnet/helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/chainlab.js", import.meta.url));
const FAST_FLAGS = ["--block-time", "0.5", "--hashrate", "50000"];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `chainlab ARGS` to completion. */
function cli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`chainlab ${args.join(" ")} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a `--json` command that must succeed and returns its parsed output. */
async function cliJson<T>(args: string[]): Promise<T> {
  const r = await cli([...args, "--json"]);
  expect(r.code, `chainlab ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface StatusRow {
  name: string;
  up: boolean;
  height?: number;
  peers?: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function testDir(): Promise<string> {
  const d = await tempDir("chainlab-testnet-cli-");
  cleanups.push(async () => {
    killLeftovers(d.path);
    await d.cleanup();
  });
  return d.path;
}

describe("chainlab testnet (CLI)", { timeout: 90_000 }, () => {
  it("up --detach, status, partition, heal and down", async () => {
    const dir = await testDir();
    const up = await cliJson<{ nodes: { name: string; pid: number; rpcUrl: string }[] }>([
      "testnet",
      "up",
      "--dir",
      dir,
      "--detach",
      "--nodes",
      "2",
      ...FAST_FLAGS,
    ]);
    expect(up.nodes.map((n) => n.name)).toEqual(["node-0", "node-1"]);
    const pids = up.nodes.map((n) => n.pid);
    expect(pids.every((p) => !isGone(p))).toBe(true);
    expect(up.nodes.every((n) => n.rpcUrl.startsWith("http://127.0.0.1:"))).toBe(true);

    const again = await cli(["testnet", "up", "--dir", dir, "--detach", ...FAST_FLAGS]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error \[TESTNET_RUNNING\]/);

    const st = await cliJson<StatusRow[]>(["testnet", "status", "--dir", dir]);
    expect(st.map((s) => [s.name, s.up])).toEqual([
      ["node-0", true],
      ["node-1", true],
    ]);
    expect(st.every((s) => typeof s.height === "number" && s.peers === 1)).toBe(true);

    expect(await cliJson(["testnet", "partition", "0/1", "--dir", dir])).toEqual({ partitioned: [[0], [1]] });
    await waitFor(
      "both nodes without peers",
      async () =>
        (await cliJson<StatusRow[]>(["testnet", "status", "--dir", dir])).every((s) => s.peers === 0),
      15_000,
    );
    const bad = await cli(["testnet", "partition", "0,1", "--dir", dir]);
    expect(bad.code).toBe(2);

    expect(await cliJson(["testnet", "heal", "--dir", dir])).toEqual({ healed: true });
    await waitFor(
      "the two nodes reconnected",
      async () =>
        (await cliJson<StatusRow[]>(["testnet", "status", "--dir", dir])).every((s) => s.peers === 1),
      15_000,
    );

    const down = await cliJson<{ stopped: number[] }>(["testnet", "down", "--dir", dir]);
    expect(down.stopped.sort()).toEqual([...pids].sort());
    expect(pids.filter((p) => !isGone(p))).toEqual([]);
    const after = await cliJson<StatusRow[]>(["testnet", "status", "--dir", dir]);
    expect(after.map((s) => s.up)).toEqual([false, false]);
  });

  it("a foreground up stops every node and exits 0 on SIGINT", async () => {
    const dir = await testDir();
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, "testnet", "up", "--dir", dir, "--nodes", "2", ...FAST_FLAGS],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    cleanups.unshift(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );

    await waitFor("the node table and the first live view", async () => /HEIGHT/.test(stdout), 40_000);
    expect(stdout).toMatch(/^NODE\s+RPC\s+MULTIADDR\s+PID\s+MINER$/m);
    const pids = await manifestPids(dir);
    expect(pids).toHaveLength(2);

    child.kill("SIGINT");
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit after SIGINT; stderr: ${stderr}`)), 30_000),
      ),
    ]);
    expect(result, stderr).toEqual({ code: 0, signal: null });
    expect(stdout).toContain("all nodes stopped");
    expect(pids.filter((p) => !isGone(p))).toEqual([]);
  });
});
