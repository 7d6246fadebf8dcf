import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  ParticipationHistory,
  posView,
  readParticipation,
  readSlashed,
  type StatusRow,
} from "../../../src/dashboard/pos.ts";

const sample = JSON.parse(
  await readFile(new URL("../../fixtures/dashboard/pos-status.json", import.meta.url), "utf8"),
) as { rounds: StatusRow[][] };

const J4 = "7a1c0e5d9b3f4a2e8c6d1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e";

describe("the PoS panel's aggregation (sample consensus_status rounds)", () => {
  it("takes the latest checkpoints, the most advanced node's figures and merges the slashings", () => {
    const history = new ParticipationHistory();
    history.observe(sample.rounds[0]!);
    const v = posView(sample.rounds[0]!, history)!;
    expect(v).toMatchObject({
      slot: 41,
      epoch: 5,
      justified: { epoch: 4, root: J4, height: 32 },
      finalized: { epoch: 3, height: 24 },
      activeValidators: 3,
      activeStake: "3000000",
    });
    // node-2 (slot 38) reported epoch 4 at 0.5, node-1 (slot 40) too; node-0 (slot 41) says 0.75.
    expect(v.participation).toEqual([
      { epoch: 2, fraction: 1 },
      { epoch: 3, fraction: 0.75 },
      { epoch: 4, fraction: 0.75 },
    ]);
    expect(v.slashed).toHaveLength(1);
    expect(v.slashed[0]).toMatchObject({ index: 3, reason: "double vote", reportedBy: ["node-0", "node-1"] });
    expect(JSON.parse(v.slashed[0]!.evidence)).toMatchObject({ epoch: 4, evidence: { a: { slot: 33 } } });
    expect(v.nodes.map((n) => [n.node, n.slot, n.justified?.root])).toEqual([
      ["node-0", 41, J4],
      ["node-1", 40, J4],
      ["node-2", 38, "11"],
    ]);
  });

  it("keeps participation across rounds and leaves a down node out", () => {
    const history = new ParticipationHistory();
    for (const round of sample.rounds) history.observe(round);
    const v = posView(sample.rounds[1]!, history)!;
    expect(v.nodes.map((n) => n.node)).toEqual(["node-0", "node-1"]);
    expect(v.justified).toMatchObject({ epoch: 5, height: 40 });
    expect(v.finalized).toMatchObject({ epoch: 4, root: J4 });
    expect(v.participation.map((p) => [p.epoch, p.fraction])).toEqual([
      [2, 1],
      [3, 0.75],
      [4, 0.75],
      [5, 1],
    ]);
    expect(v.slashed.map((s) => s.reportedBy)).toEqual([["node-0"]]);
  });

  it("is absent for a PoW status, or when every PoS node is down", () => {
    const pow = { name: "n", state: "up", consensus: { type: "pow", difficulty: "1", hashrate: 5 } };
    expect(posView([pow])).toBeUndefined();
    expect(posView([{ ...sample.rounds[0]![0]!, state: "down" }])).toBeUndefined();
  });

  it("ignores malformed fields and bounds what it keeps", () => {
    const s = {
      epoch: "7",
      participation: [{ epoch: 1, fraction: 2 }, { epoch: -1, fraction: 0.5 }, null, { epoch: 3, rate: 0.9 }],
      slashed: [{ publicKey: "no index" }, { index: 1, reason: 5, blob: "x".repeat(10_000) }, "junk"],
    };
    expect(readParticipation(s)).toEqual([{ epoch: 3, fraction: 0.9 }]);
    expect(readParticipation({ epoch: 7, participation: Number.NaN })).toEqual([]);
    const slashed = readSlashed(s);
    expect(slashed.map((x) => x.index)).toEqual([1]);
    expect(slashed[0]!.reason).toBeUndefined();
    expect(slashed[0]!.evidence.length).toBeLessThanOrEqual(2_001);
    const history = new ParticipationHistory(64);
    for (let e = 0; e < 200; e++)
      history.observe([{ name: "a", state: "up", consensus: { slot: e * 8, epoch: e, participation: 0.5 } }]);
    expect(history.size).toBe(64);
    expect(history.list()[0]!.epoch).toBe(136);
  });
});
