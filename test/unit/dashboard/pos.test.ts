/**
 * The PoS panel's aggregation over consensus_status rounds recorded from a real 4-node PoS
 * testnet with two slashed validators (test/fixtures/dashboard/pos-status.json says how), plus
 * the other shapes the panel accepts and the malformed input it must shrug off.
 */
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
const [round1, round2] = sample.rounds as [StatusRow[], StatusRow[]];
const status = (row: StatusRow) => row.consensus!;

describe("the PoS panel's aggregation (recorded consensus_status rounds)", () => {
  it("takes the latest checkpoints and the most advanced node's figures, and merges the slashings", () => {
    const history = new ParticipationHistory();
    history.observe(round1);
    const v = posView(round1, history)!;
    // node-3 is the most advanced (slot 56): its clock, active set and checkpoints lead.
    const lead = status(round1[3]!);
    expect(v).toMatchObject({
      slot: 56,
      epoch: 7,
      justified: { epoch: 5, height: 29, root: (lead["justified"] as { root: string }).root },
      finalized: { epoch: 3 },
      activeValidators: 6,
      activeStake: "19200000000",
    });
    // headSlot 45 and 47 (epoch 5) say epoch 4: 1 and epoch 5 so far; headSlot 52 (epoch 6) gives
    // epoch 5's final 0.75; headSlot 56 (epoch 7) gives epoch 6's 0.75 and epoch 7 just begun.
    expect(v.participation).toEqual([
      { epoch: 4, fraction: 1 },
      { epoch: 5, fraction: 0.75 },
      { epoch: 6, fraction: 0.75 },
      { epoch: 7, fraction: 0, partial: true },
    ]);
    expect(v.slashed.map((s) => [s.index, s.reason, s.reportedBy.length])).toEqual([
      [3, "double or surround vote", 4],
      [7, "double or surround vote", 4],
    ]);
    const evidence = JSON.parse(v.slashed[0]!.evidence) as { stake: string; evidence: { kind: string }[] };
    expect(evidence.stake).toBe("3175000000");
    expect(evidence.evidence[0]!.kind).toBe("attester");
    expect(v.nodes.map((n) => [n.node, n.slot, n.justified?.epoch, n.finalized?.epoch])).toEqual([
      ["node-0", 45, 3, 2],
      ["node-1", 47, 3, 2],
      ["node-2", 52, 4, 2],
      ["node-3", 56, 5, 3],
    ]);
  });

  it("keeps participation across rounds: a final figure replaces a partial one, never the reverse", () => {
    const history = new ParticipationHistory();
    history.observe(round1);
    history.observe(round2);
    // A lagging node's partial report of an epoch that is already final changes nothing.
    history.observe([
      { ...round1[0]!, consensus: { ...status(round1[0]!), participation: { currentEpoch: 0.1 } } },
    ]);
    expect(history.list().map((p) => [p.epoch, p.fraction, p.partial === true])).toEqual([
      [4, 1, false],
      [5, 0.75, false],
      [6, 0.75, false],
      [7, 0, true],
      [8, 1, false],
      [9, 1, false],
      [10, 1, false],
      [11, 0.5, true],
    ]);
    const v = posView(round2, history)!;
    expect(v).toMatchObject({ slot: 93, epoch: 11, justified: { epoch: 10 }, finalized: { epoch: 9 } });
  });

  it("is absent for a PoW status, or when every PoS node is down", () => {
    const pow = { name: "n", state: "up", consensus: { type: "pow", difficulty: "1", hashrate: 5 } };
    expect(posView([pow])).toBeUndefined();
    expect(posView(round1.map((r) => ({ ...r, state: "down" })))).toBeUndefined();
  });

  it("accepts per-epoch lists and maps, and ignores malformed fields", () => {
    expect(
      readParticipation({
        participation: [
          { epoch: 2, fraction: 0.5 },
          { epoch: 3, rate: 0.9 },
        ],
      }),
    ).toEqual([
      { epoch: 2, fraction: 0.5 },
      { epoch: 3, fraction: 0.9 },
    ]);
    expect(readParticipation({ participation: { "4": 0.25, x: 1, "5": 7 } })).toEqual([
      { epoch: 4, fraction: 0.25 },
    ]);
    expect(readParticipation({ epoch: "7", participation: 0.5 })).toEqual([{ epoch: 7, fraction: 0.5 }]);
    expect(readParticipation({ epoch: 7, participation: Number.NaN })).toEqual([]);
    expect(
      readParticipation({ participation: [{ epoch: 1, fraction: 2 }, { epoch: -1, fraction: 0.5 }, null] }),
    ).toEqual([]);
    const slashed = readSlashed({
      slashed: [{ publicKey: "no index" }, { index: 1, reason: 5, blob: "x".repeat(10_000) }, "junk"],
    });
    expect(slashed.map((x) => x.index)).toEqual([1]);
    expect(slashed[0]!.reason).toBeUndefined();
    expect(slashed[0]!.evidence.length).toBeLessThanOrEqual(2_001);
  });

  it("bounds the epochs it keeps", () => {
    const history = new ParticipationHistory(64);
    for (let e = 0; e < 200; e++)
      history.observe([{ name: "a", state: "up", consensus: { slot: e * 8, epoch: e, participation: 0.5 } }]);
    expect(history.size).toBe(64);
    expect(history.list()[0]!.epoch).toBe(136);
  });
});
