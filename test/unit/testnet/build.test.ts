import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildInto, nodeEntryFile, sourceStamp } from "../../../src/testnet/build.ts";

describe("the compiled node build of testnet processes", () => {
  const saved = process.env.CHAINLAB_NODE_BUILD;
  afterEach(() => {
    if (saved === undefined) delete process.env.CHAINLAB_NODE_BUILD;
    else process.env.CHAINLAB_NODE_BUILD = saved;
  });

  it("is stamped with the hash of the current sources, and the same build is reused", async () => {
    delete process.env.CHAINLAB_NODE_BUILD;
    const entry = await nodeEntryFile();
    expect(entry.compiled).toBe(true);
    expect(entry.file.endsWith(join("src", "cli", "node-entry.js"))).toBe(true);
    expect(existsSync(entry.file)).toBe(true);
    // One bundle (esbuild is a devDependency): the workers a node starts sit beside the entry,
    // where the pools' `new URL("./worker.js", import.meta.url)` looks for them.
    const cli = dirname(entry.file);
    expect(existsSync(join(cli, "verify-worker.js"))).toBe(true);
    expect(existsSync(join(cli, "worker.js"))).toBe(true);
    const src = dirname(cli);
    const pkg = JSON.parse(readFileSync(join(dirname(src), "package.json"), "utf8"));
    expect(pkg).toMatchObject({ name: "chainlab", type: "module" });
    const stampFile = join(dirname(src), "STAMP");
    expect(readFileSync(stampFile, "utf8")).toBe(await sourceStamp());
    const again = await nodeEntryFile();
    expect(again).toEqual(entry);
  });

  it("the built entry runs on its own: `--help` lists the node commands", async () => {
    delete process.env.CHAINLAB_NODE_BUILD;
    const entry = await nodeEntryFile();
    const out = execFileSync(process.execPath, [entry.file, "--help"], { encoding: "utf8" });
    expect(out).toMatch(/^Usage: chainlab node/);
    expect(out).toContain("start");
  });

  it("a bundle that fails falls back to tsc's per-module build, which runs", async () => {
    // Inside the checkout's node_modules, as the real build is: its imports resolve from there.
    await mkdir(join("node_modules", ".cache"), { recursive: true });
    const out = await mkdtemp(join(process.cwd(), "node_modules", ".cache", "chainlab-build-test-"));
    try {
      const failure = await buildInto(out, "bundle", async () => "esbuild: no binary for this platform");
      expect(failure).toBeUndefined();
      const entry = join(out, "src", "cli", "node-entry.js");
      expect(existsSync(join(out, "src", "crypto", "verify-worker.js"))).toBe(true);
      const help = execFileSync(process.execPath, [entry, "--help"], { encoding: "utf8" });
      expect(help).toMatch(/^Usage: chainlab node/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("runs the sources when CHAINLAB_NODE_BUILD=0, and says why", async () => {
    process.env.CHAINLAB_NODE_BUILD = "0";
    const entry = await nodeEntryFile();
    expect(entry).toMatchObject({ compiled: false, reason: "CHAINLAB_NODE_BUILD=0" });
    expect(entry.file.endsWith(join("src", "cli", "node-entry.ts"))).toBe(true);
  });
});
