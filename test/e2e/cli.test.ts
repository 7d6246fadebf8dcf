/**
 * The CLI as a new user runs it: the README workflow (keys -> genesis -> node start --mine ->
 * chain head growing -> kill -9 -> restart keeps mining), and bad input of every kind giving one
 * line, a non-zero exit code and no written file.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/fixtures.ts";
import { runCli, startCli, waitFor } from "./helpers.ts";

const ENV = { CHAINLAB_PASSPHRASE: "e2e-passphrase", CHAINLAB_LOG_LEVEL: "warn" };
let dir: { path: string; cleanup: () => Promise<void> };
const running: ReturnType<typeof startCli>[] = [];

async function address(file: string): Promise<string> {
  const r = await runCli(["keys", "show", file, "--json"], { cwd: dir.path });
  return (JSON.parse(r.stdout) as { address: string }).address;
}

async function height(dataDir: string): Promise<number> {
  const r = await runCli(["chain", "head", "--data-dir", dataDir, "--json"], { cwd: dir.path, env: ENV });
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { height: number }).height;
}

beforeAll(async () => {
  dir = await tempDir("chainlab-e2e-");
});
afterAll(async () => {
  for (const r of running) r.child.kill("SIGKILL");
  await Promise.all(running.map((r) => r.exited));
  await dir.cleanup();
});

describe("the README workflow", () => {
  it("keys -> genesis -> node start --mine -> head grows; kill -9 -> restart keeps mining", {
    timeout: 120_000,
  }, async () => {
    const cwd = dir.path;
    for (const k of ["alice", "miner"]) {
      const r = await runCli(["keys", "new", "--out", `${k}.json`, "--scrypt-log-n", "12"], {
        cwd,
        env: ENV,
      });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(statSync(join(cwd, "alice.json")).mode & 0o777).toBe(0o600);
    const alice = await address("alice.json");
    const miner = await address("miner.json");
    const g = await runCli(
      [
        "genesis",
        "new",
        "--consensus",
        "pow",
        "--alloc",
        `${alice}=1000000`,
        "--block-time",
        "0.2",
        "--difficulty",
        "20000",
        "--out",
        "genesis.json",
        "--json",
      ],
      { cwd },
    );
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).genesisHash).toMatch(/^[0-9a-f]{64}$/);

    const args = [
      "node",
      "start",
      "--data-dir",
      "node1",
      "--mine",
      "--coinbase",
      miner,
      "--miner-threads",
      "1",
      "--hashrate",
      "200000",
      "--rpc-port",
      "0",
      "--no-p2p",
    ];
    const first = startCli([...args, "--genesis", "genesis.json"], { cwd, env: ENV });
    running.push(first);
    const h1 = await waitFor(
      async () => {
        const h = existsSync(join(cwd, "node1/node.json")) ? await height("node1").catch(() => 0) : 0;
        return h >= 3 ? h : undefined;
      },
      60_000,
      "height 3",
    );
    const h2 = await waitFor(
      async () => {
        const h = await height("node1");
        return h > h1 ? h : undefined;
      },
      30_000,
      "a growing head",
    );
    first.child.kill("SIGKILL");
    await first.exited;

    const before = await height("node1"); // offline read of the data dir after the crash
    expect(before).toBeGreaterThanOrEqual(h2);
    const second = startCli(args, { cwd, env: ENV });
    running.push(second);
    await waitFor(
      async () => {
        const h = existsSync(join(cwd, "node1/node.json")) ? await height("node1").catch(() => 0) : 0;
        return h > before ? h : undefined;
      },
      60_000,
      "mining after the restart",
    ).catch((err: Error) => {
      throw new Error(`${err.message}; node output:\n${second.output().slice(-3000)}`);
    });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(existsSync(join(cwd, "node1/node.json"))).toBe(false);
  });
});

describe("bad input", () => {
  const cases: {
    name: string;
    args: string[];
    code: string;
    exit: number;
    env?: Record<string, string>;
    untouched?: string;
  }[] = [
    {
      name: "unknown address in --alloc",
      args: ["genesis", "new", "--alloc", "clab1notanaddress=5", "--out", "bad-genesis.json"],
      code: "CLI_BAD_ARGUMENT",
      exit: 2,
      untouched: "bad-genesis.json",
    },
    {
      name: "negative amount",
      args: ["genesis", "new", "--alloc", "x=-1", "--out", "bad2.json"],
      code: "CLI_BAD_ARGUMENT",
      exit: 2,
      untouched: "bad2.json",
    },
    {
      name: "bad block time",
      args: ["genesis", "new", "--block-time", "fast", "--out", "bad3.json"],
      code: "CLI_BAD_ARGUMENT",
      exit: 2,
      untouched: "bad3.json",
    },
    {
      name: "missing genesis file",
      args: ["node", "start", "--data-dir", "fresh-node", "--genesis", "nope.json"],
      code: "GENESIS_INVALID",
      exit: 2,
      untouched: "fresh-node",
    },
    {
      name: "invalid config from the environment",
      args: ["node", "start", "--data-dir", "cfg-node", "--genesis", "genesis.json"],
      env: { CHAINLAB_RPC_PORT: "99999" },
      code: "CONFIG_INVALID",
      exit: 2,
      untouched: "cfg-node",
    },
    {
      name: "bad block reference",
      args: ["chain", "block", "zz", "--data-dir", "node1"],
      code: "CLI_BAD_ARGUMENT",
      exit: 2,
    },
    {
      name: "keystore that exists",
      args: ["keys", "new", "--out", "alice.json", "--scrypt-log-n", "12"],
      code: "KEYSTORE_EXISTS",
      exit: 2,
    },
    {
      name: "wrong passphrase",
      args: [
        "tx",
        "sign",
        "--to",
        "clab1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqhtxljt",
        "--amount",
        "1",
        "--fee",
        "1",
        "--nonce",
        "0",
        "--key",
        "alice.json",
        "--genesis",
        "genesis.json",
      ],
      env: { CHAINLAB_PASSPHRASE: "wrong" },
      code: "KEYSTORE_WRONG_PASSPHRASE",
      exit: 2,
    },
    {
      name: "malformed keystore",
      args: ["keys", "show", "genesis.json"],
      code: "KEYSTORE_MALFORMED",
      exit: 2,
    },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.code}, one line, exit ${c.exit}, nothing written`, { timeout: 30_000 }, async () => {
      const aliceBefore = existsSync(join(dir.path, "alice.json"))
        ? readFileSync(join(dir.path, "alice.json"), "utf8")
        : "";
      const r = await runCli(c.args, { cwd: dir.path, env: { ...ENV, ...c.env } });
      expect(r.code).toBe(c.exit);
      const lines = r.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("npm warn"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`[${c.code}]`);
      if (c.untouched) expect(existsSync(join(dir.path, c.untouched))).toBe(false);
      if (existsSync(join(dir.path, "alice.json")))
        expect(readFileSync(join(dir.path, "alice.json"), "utf8")).toBe(aliceBefore);
    });
  }

  it("a busy RPC port fails with RPC_PORT_IN_USE and leaves no runtime file", {
    timeout: 60_000,
  }, async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = String((busy.address() as AddressInfo).port);
    try {
      const r = await runCli(
        [
          "node",
          "start",
          "--data-dir",
          "busy-port",
          "--genesis",
          "genesis.json",
          "--rpc-port",
          port,
          "--no-p2p",
        ],
        {
          cwd: dir.path,
          env: ENV,
        },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`RPC_PORT_IN_USE.*${port}`));
      expect(existsSync(join(dir.path, "busy-port/node.json"))).toBe(false);
    } finally {
      busy.close();
    }
  });

  it("a node that is not running gives RPC_TRANSPORT, a malformed key file APIKEY_BAD_CREDENTIAL", {
    timeout: 30_000,
  }, async () => {
    writeFileSync(join(dir.path, "bad.key"), "not-a-credential\n");
    const good = `k_000000000000:${"ab".repeat(32)}\n`;
    writeFileSync(join(dir.path, "good.key"), good);
    const dead = await runCli(
      ["rpc", "chain_getHead", "--rpc", "http://127.0.0.1:9", "--api-key-file", "good.key"],
      { cwd: dir.path, env: ENV },
    );
    expect([dead.code, dead.stderr.trim().split("\n").at(-1)]).toEqual([
      1,
      expect.stringContaining("[RPC_TRANSPORT]"),
    ]);
    const bad = await runCli(
      ["rpc", "chain_getHead", "--rpc", "http://127.0.0.1:9", "--api-key-file", "bad.key"],
      { cwd: dir.path, env: ENV },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("[APIKEY_BAD_CREDENTIAL]");
  });

  it("a second node on the same data dir fails with 'data dir in use' (exit 3)", {
    timeout: 60_000,
  }, async () => {
    const cwd = dir.path;
    const first = startCli(
      ["node", "start", "--data-dir", "locked", "--genesis", "genesis.json", "--rpc-port", "0", "--no-p2p"],
      { cwd, env: ENV },
    );
    running.push(first);
    await waitFor(() => (existsSync(join(cwd, "locked/node.json")) ? true : undefined), 30_000, "first node");
    const r = await runCli(["node", "start", "--data-dir", "locked", "--rpc-port", "0", "--no-p2p"], {
      cwd,
      env: ENV,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/STORAGE_LOCKED.*data dir in use/);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  });
});
