/** tx-replay --quick on real in-process nodes: every replay is refused, for the reason its kind implies. */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

it("tx-replay --quick accepts no replay and counts each refusal by its reason", async () => {
  const { report, json, read } = await run("tx-replay", 5);
  expect(json.points.map((p: { id: string }) => p.id)).toEqual(["rebroadcast", "cross-chain", "after-reorg"]);
  for (const t of json.trials) {
    expect(t.data.accepted).toBe(0);
    expect(t.success).toBe(false);
    const codes = Object.fromEntries(
      t.data.replays.map((r: { channel: string; code: string }) => [r.channel, r.code]),
    );
    // Every replay came back refused, and the reasons add up to what was sent.
    const total = Object.values(t.data.reasons as Record<string, number>).reduce((n, k) => n + k, 0);
    expect(total).toBe(t.data.replays.length);
    if (t.data.kind === "cross-chain") {
      expect(codes["b0-as-is"]).toBe("TX_WRONG_CHAIN");
      expect(codes["b0-chain-id-rewritten"]).toBe("TX_BAD_SIGNATURE");
      expect(t.data.includedOnB).toBe(0);
    } else {
      // Included exactly once on chain A (after a reorg: the one legitimate re-inclusion).
      expect(t.data.inclusions[t.data.tx]).toBe(1);
      expect(Object.keys(codes)).toEqual(expect.arrayContaining(["rpc-a0", "rpc-a1", "gossip-a1"]));
    }
    if (t.data.kind === "after-reorg") expect(t.data.reorgDepth).toBeGreaterThan(0);
  }
  expect(report.metrics.replaysAccepted).toBe(0);
  expect(report.metrics.replaysSent).toBeGreaterThan(0);
  const md = await read("report.md");
  expect(md).toContain("1 = rebroadcast");
  expect((await read("tx-replay.svg")).startsWith("<svg")).toBe(true);
}, 120_000);
