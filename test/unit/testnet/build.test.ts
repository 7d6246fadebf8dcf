import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeEntryFile, sourceStamp } from "../../../src/testnet/build.ts";

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
    // The workers a node starts are compiled too.
    const src = dirname(dirname(entry.file));
    expect(existsSync(join(src, "crypto", "verify-worker.js"))).toBe(true);
    expect(existsSync(join(src, "consensus", "pow", "miner", "worker.js"))).toBe(true);
    const stampFile = join(dirname(src), "STAMP");
    expect(readFileSync(stampFile, "utf8")).toBe(await sourceStamp());
    const again = await nodeEntryFile();
    expect(again).toEqual(entry);
  });

  it("runs the sources when CHAINLAB_NODE_BUILD=0, and says why", async () => {
    process.env.CHAINLAB_NODE_BUILD = "0";
    const entry = await nodeEntryFile();
    expect(entry).toMatchObject({ compiled: false, reason: "CHAINLAB_NODE_BUILD=0" });
    expect(entry.file.endsWith(join("src", "cli", "node-entry.ts"))).toBe(true);
  });
});
