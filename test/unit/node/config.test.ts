import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChainlabError } from "../../../src/core/errors.ts";
import { CONFIG_KEYS, engineSection, readConfigFile, resolveSettings } from "../../../src/node/config.ts";
import { tempDir } from "../../helpers/fixtures.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function configFile(text: string): Promise<string> {
  const dir = await tempDir("chainlab-config-");
  cleanups.push(dir.cleanup);
  const path = join(dir.path, "config.toml");
  await writeFile(path, text);
  return path;
}

function codeAndMessage(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof ChainlabError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a ChainlabError");
}

describe("node configuration", () => {
  it("uses the defaults when nothing is set", () => {
    const s = resolveSettings({}, {}, {});
    for (const [key, spec] of Object.entries(CONFIG_KEYS))
      expect(s[key as keyof typeof s]).toEqual(spec.default);
  });

  it("takes flags over the environment over the file", () => {
    const file = { "rpc.port": 1111, "log.level": "debug", "p2p.max_peers": 7 };
    const env = { CHAINLAB_RPC_PORT: "2222", CHAINLAB_LOG_LEVEL: "warn" };
    const s = resolveSettings({ "rpc.port": "3333" }, env, file);
    expect([s["rpc.port"], s["log.level"], s["p2p.max_peers"]]).toEqual([3333, "warn", 7]);
  });

  it("parses booleans, durations and comma lists from the environment", () => {
    const s = resolveSettings(
      {},
      {
        CHAINLAB_PRODUCE: "yes",
        CHAINLAB_RPC_TIMESTAMP_WINDOW: "45s",
        CHAINLAB_BOOTSTRAP: "/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2",
      },
      {},
    );
    expect([s["produce.enabled"], s["rpc.timestamp_window"], s["p2p.bootstrap"]]).toEqual([
      true,
      45_000,
      ["/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/2"],
    ]);
  });

  it.each([
    [{ "rpc.port": 70000 }, {}, "rpc.port", "command line"],
    [{}, { CHAINLAB_RPC_PORT: "abc" }, "rpc.port", "CHAINLAB_RPC_PORT"],
    [{}, { CHAINLAB_PRODUCE: "maybe" }, "produce.enabled", "CHAINLAB_PRODUCE"],
    [{}, { CHAINLAB_LOG_LEVEL: "loud" }, "log.level", "CHAINLAB_LOG_LEVEL"],
    [{}, { CHAINLAB_VERIFY_THREADS: "-1" }, "verify.threads", "CHAINLAB_VERIFY_THREADS"],
    [{ "verify.threads": 65 }, {}, "verify.threads", "command line"],
    [{}, { CHAINLAB_BENEFICIARY: "clab1notanaddress" }, "produce.beneficiary", "CHAINLAB_BENEFICIARY"],
    [
      {},
      { CHAINLAB_RPC_TIMESTAMP_WINDOW: "30 seconds" },
      "rpc.timestamp_window",
      "CHAINLAB_RPC_TIMESTAMP_WINDOW",
    ],
  ] as const)("rejects %j %j with one line naming %s and its source", (flags, env, key, source) => {
    const e = codeAndMessage(() => resolveSettings(flags, env, {}));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toContain(`config ${key} (from ${source})`);
    expect(e.message).not.toContain("\n");
  });

  it("reads nested TOML tables as dotted keys", async () => {
    const path = await configFile(
      '[rpc]\nport = 9000\ntimestamp_window = "10s"\n[p2p]\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n',
    );
    const s = resolveSettings({}, {}, await readConfigFile(path), path);
    expect([s["rpc.port"], s["rpc.timestamp_window"]]).toEqual([9000, 10_000]);
  });

  it("treats a missing file as empty", async () => {
    expect(await readConfigFile("/nonexistent/chainlab/config.toml")).toEqual({});
  });

  it("rejects an unknown key and a TOML syntax error, naming the file", async () => {
    const unknown = await configFile("[rpc]\nprot = 9000\n");
    await expect(readConfigFile(unknown)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("rpc.prot"),
    });
    const broken = await configFile("[rpc\nport = 9000\n");
    await expect(readConfigFile(broken)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining(broken),
    });
  });

  it("names the new key of a key renamed when engine options moved into engine sections", async () => {
    const old = await configFile("[mining]\nthreads = 2\n");
    await expect(readConfigFile(old)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("mining.threads (from"),
      data: { renamed: "pow.threads" },
    });
  });

  it("hands an engine its own section, prefix stripped", () => {
    const s = resolveSettings({ "pow.threads": 3 }, { CHAINLAB_POW_HASHRATE: "500" }, {});
    expect(engineSection(s, "pow")).toEqual({ threads: 3, hashrate: 500 });
  });

  it("names the file as the source of a bad value read from it", async () => {
    const path = await configFile("[p2p]\nmax_peers = 0\n");
    const file = await readConfigFile(path);
    const e = codeAndMessage(() => resolveSettings({}, {}, file, path));
    expect(e).toEqual({
      code: "CONFIG_INVALID",
      message: `config p2p.max_peers (from ${path}): must be in [1, 10000]`,
    });
  });
});
