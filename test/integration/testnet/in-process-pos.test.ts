/**
 * An in-process PoS testnet: the manifest names the genesis the nodes really run (the registry is
 * in its state root), and a killed in-process node is down, restartable, and stopping the testnet
 * afterwards signals no process (its recorded pid was this process's own).
 */
import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Testnet } from "../../../src/testnet/index.ts";
import { tempDir } from "../../helpers/fixtures.ts";
import { waitFor } from "./helpers.ts";

describe("in-process PoS testnet", { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it("records the nodes' genesis hash, and kill, restart and stop touch only its nodes", async () => {
    const dir = await tempDir("chainlab-inproc-pos-");
    cleanups.push(dir.cleanup);
    const signals: string[] = [];
    const onSignal = (s: string) => signals.push(s);
    process.on("SIGTERM", onSignal);
    cleanups.push(async () => {
      process.off("SIGTERM", onSignal);
    });
    const net = await Testnet.start({
      dir: `${dir.path}/net`,
      consensus: "pos",
      nodes: 2,
      miners: 0,
      validators: 2,
      epochSlots: 4,
      accounts: 1,
      blockTimeSeconds: 0.4,
      hashratePerMiner: 1,
      inProcess: true,
    });
    cleanups.push(() => net.stop().then(() => rm(`${dir.path}/net`, { recursive: true, force: true })));
    const info = await (await net.client(0)).call<{ genesisHash: string }>("node_info");
    expect(net.manifest.genesisHash).toBe(info.genesisHash);

    await net.kill(1);
    expect((await net.status())[1]!.up).toBe(false);
    await net.restart(1);
    await waitFor("node-1 back", async () => (await net.status())[1]!.up, 30_000);
    await net.kill(1);
    await net.stop();
    expect(signals).toEqual([]);
  });
});
