/**
 * A 4-node PoW testnet of real `chainlab node` processes on loopback, driven through the library
 * API: heights advance and agree, a SIGKILLed node catches up after a restart, a 2/2 partition
 * forks and heals into one head, modest load is fully included, and stop() leaves no process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad, Testnet } from "../../../src/testnet/index.ts";
import { tempDir } from "../../helpers/fixtures.ts";
import {
  FAST,
  hashAt,
  isGone,
  killLeftovers,
  manifestPids,
  minHeight,
  processesMentioning,
  spread,
  upStatus,
  waitFor,
} from "./helpers.ts";

describe("testnet cluster (4 node processes)", { timeout: 60_000 }, () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let net: Testnet;

  beforeAll(async () => {
    dir = await tempDir("chainlab-testnet-cluster-");
    net = await Testnet.start({ dir: dir.path, nodes: 4, ...FAST });
  }, 60_000);

  afterAll(async () => {
    await net?.stop().catch(() => {});
    killLeftovers(dir.path);
    await dir.cleanup();
  });

  it("runs 4 separate processes whose heights advance and agree within one block", async () => {
    const pids = net.nodes.map((n) => n.pid);
    expect(new Set(pids).size).toBe(4);
    expect(pids).not.toContain(process.pid);
    const start = await waitFor("all 4 nodes up", () => upStatus(net), 10_000);
    const target = Math.max(...start.map((s) => s.height!)) + 3;
    const st = await waitFor(
      "every node 3 blocks further, within one block of each other",
      async () => {
        const s = await upStatus(net);
        return s && minHeight(s) >= target && spread(s) <= 1 && s;
      },
      20_000,
    );
    expect(st.every((s) => (s.peers ?? 0) >= 1)).toBe(true);
  });

  it("keeps going without a SIGKILLed node, which catches up after a restart", async () => {
    const victim = net.nodes[3]!.pid!;
    await net.kill(3);
    expect(isGone(victim)).toBe(true);
    const st = await net.status();
    expect(st[3]!.up).toBe(false);
    const before = minHeight((await upStatus(net, [0, 1, 2]))!);
    await waitFor(
      "the 3 survivors 3 blocks further",
      async () => {
        const s = await upStatus(net, [0, 1, 2]);
        return s && minHeight(s) >= before + 3;
      },
      20_000,
    );
    // A fresh handle (what `chainlab testnet status` uses) also reports the dead node as down.
    const reopened = await (await Testnet.open(dir.path)).status();
    expect(reopened.map((s) => s.up)).toEqual([true, true, true, false]);

    await net.restart(3);
    expect(net.nodes[3]!.pid).not.toBe(victim);
    const othersAtRestart = Math.max(...(await upStatus(net, [0, 1, 2]))!.map((s) => s.height!));
    await waitFor(
      "the restarted node within one block of the others",
      async () => {
        const s = await upStatus(net);
        return s && s[3]!.height! >= othersAtRestart && spread(s) <= 1;
      },
      20_000,
    );
  });

  it("mines two branches in a 2/2 partition and converges on one head after heal", async () => {
    await net.partition([
      [0, 1],
      [2, 3],
    ]);
    const atSplit = minHeight((await upStatus(net))!);
    await waitFor(
      "both halves 2 blocks further on different heads",
      async () => {
        const s = await upStatus(net);
        // Each node only sees its partner while split.
        if (!s || minHeight(s) < atSplit + 2 || s.some((x) => x.peers !== 1)) return false;
        const left = new Set([s[0]!.head, s[1]!.head]);
        const right = new Set([s[2]!.head, s[3]!.head]);
        return [...left].every((h) => !right.has(h));
      },
      20_000,
    );
    // While split, no block above the split point is shared across the halves.
    const probe = atSplit + 2;
    expect(await hashAt(net, 0, probe)).not.toBe(await hashAt(net, 2, probe));

    await net.heal();
    await waitFor(
      "all four on one head (or within one block sharing a common recent block)",
      async () => {
        const s = await upStatus(net);
        if (!s) return false;
        if (new Set(s.map((x) => x.head)).size === 1) return true;
        if (spread(s) > 1) return false;
        const h = minHeight(s);
        const hashes = await Promise.all([0, 1, 2, 3].map((i) => hashAt(net, i, h)));
        return h > probe && new Set(hashes).size === 1;
      },
      30_000,
    );
  });

  it("includes every transfer of a 100 tx/s load with zero rejections", async () => {
    const report = await runLoad(net, { tps: 100, durationSeconds: 5, drainSeconds: 20 });
    expect(report.submitted).toBeGreaterThanOrEqual(450);
    expect(report.rejected).toEqual({});
    expect(report.accepted).toBe(report.submitted);
    expect(report.included).toBe(report.submitted);
    expect(report.pendingAtEnd).toBe(0);
  });

  it("counts every transfer of a load that spans a partition, its heal and the reorg", async () => {
    await net.partition([
      [0, 1],
      [2, 3],
    ]);
    let submitted = 0;
    const load = runLoad(net, {
      tps: 50,
      durationSeconds: 4,
      drainSeconds: 30,
      onProgress: (p) => {
        submitted = p.submitted;
      },
    });
    const atSplit = minHeight((await upStatus(net))!);
    await waitFor(
      "txs submitted to both halves while they mine apart",
      async () => {
        const s = await upStatus(net);
        return submitted >= 100 && s && minHeight(s) >= atSplit + 2 && s[0]!.head !== s[2]!.head;
      },
      20_000,
    );
    await net.heal();
    const report = await load;
    expect(report.rejected).toEqual({});
    expect(report.included).toBe(report.submitted);
    expect(report.pendingAtEnd).toBe(0);
  });

  it("stops every node: each pid recorded in testnet.json is gone", async () => {
    const pids = await manifestPids(dir.path);
    expect(pids).toHaveLength(4);
    await net.stop();
    expect(pids.filter((pid) => !isGone(pid))).toEqual([]);
    expect(processesMentioning(dir.path)).toEqual([]);
    expect(await manifestPids(dir.path)).toEqual([]);
  });
});
