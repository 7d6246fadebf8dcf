/**
 * Issue 5 robustness: a running testnet dir is not started twice, a dead node shows as down,
 * `up` on a stopped dir resumes the chain while `fresh` starts over, and a node that fails
 * during start-up makes Testnet.start throw TESTNET_NODE_FAILED after stopping every node it
 * had started.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateTestnet, Testnet } from "../../../src/testnet/index.ts";
import { tempDir } from "../../helpers/fixtures.ts";
import {
  FAST,
  hashAt,
  killLeftovers,
  manifestPids,
  processesMentioning,
  upStatus,
  waitFor,
} from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];

async function testDir(prefix: string): Promise<string> {
  const d = await tempDir(prefix);
  cleanups.push(async () => {
    killLeftovers(d.path);
    await d.cleanup();
  });
  return d.path;
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("testnet robustness", { timeout: 60_000 }, () => {
  it("refuses a second start, shows a dead node as down, resumes a stopped dir and starts over with fresh", async () => {
    const dir = await testDir("chainlab-testnet-resume-");
    let net = await Testnet.start({ dir, nodes: 2, ...FAST });
    cleanups.unshift(() => net.stop());
    const genesisHash = net.manifest.genesisHash;

    await expect(Testnet.start({ dir, ...FAST })).rejects.toMatchObject({ code: "TESTNET_RUNNING" });
    await expect(Testnet.start({ dir, fresh: true, ...FAST })).rejects.toMatchObject({
      code: "TESTNET_RUNNING",
    });
    expect((await upStatus(net))?.length).toBe(2);

    await net.kill(1);
    expect((await (await Testnet.open(dir)).status()).map((s) => s.up)).toEqual([true, false]);
    await net.restart(1);

    const before = await waitFor(
      "both nodes at height >= 4",
      async () => {
        const s = await upStatus(net);
        return s?.every((x) => x.height! >= 4) && s;
      },
      20_000,
    );
    const settled = before[0]!.height! - 2;
    const settledHash = await hashAt(net, 0, settled);
    await net.stop();
    expect(await manifestPids(dir)).toEqual([]);

    net = await Testnet.start({ dir, ...FAST });
    expect(net.manifest.genesisHash).toBe(genesisHash);
    const resumed = (await upStatus(net))!;
    resumed.forEach((s, i) => {
      expect(s.height!).toBeGreaterThanOrEqual(before[i]!.height!);
    });
    expect(await hashAt(net, 0, settled)).toBe(settledHash);
    await net.stop();

    net = await Testnet.start({ dir, fresh: true, ...FAST });
    expect(net.manifest.genesisHash).not.toBe(genesisHash);
    for (let i = 0; i < 2; i++) {
      const c = await net.client(i);
      expect((await c.call<{ genesisHash: string }>("node_info")).genesisHash).toBe(net.manifest.genesisHash);
      expect(await c.call("chain_getBlockByHash", { hash: settledHash })).toBeNull();
    }
  });

  for (const inProcess of [false, true]) {
    it(`cleans up the nodes it started when one fails during up (${inProcess ? "in-process" : "processes"})`, async () => {
      const dir = await testDir("chainlab-testnet-fail-");
      await generateTestnet({ dir, nodes: 3, miners: 3, consensus: "pow", ...FAST });
      const config = join(dir, "nodes", "node-2", "config.toml");
      const good = await readFile(config, "utf8");
      await writeFile(config, "[rpc\nport = = 0\n");

      await expect(Testnet.start({ dir, inProcess })).rejects.toMatchObject({ code: "TESTNET_NODE_FAILED" });
      expect(processesMentioning(dir)).toEqual([]);
      expect(await manifestPids(dir)).toEqual([]);

      // Nothing kept a data dir locked: with the config repaired the same dir starts.
      await writeFile(config, good);
      const net = await Testnet.start({ dir, inProcess });
      cleanups.unshift(() => net.stop());
      expect((await upStatus(net))?.length).toBe(3);
    });
  }
});
