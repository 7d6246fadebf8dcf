/** invalid-flood --quick on real in-process nodes: every attacker identity is banned for its kind's reason, and the honest nodes keep making progress. */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

/** The victim's reasons for each kind of forged message. */
const REASONS: Record<string, RegExp> = {
  "malformed-tx": /^DECODE_/,
  "invalid-tx": /^TX_BAD_SIGNATURE$/,
  "malformed-block": /^DECODE_/,
  "invalid-block": /^BLOCK_BAD_SEAL$/,
};

it("invalid-flood --quick bans every attacker identity and the victim keeps importing blocks and honest txs", async () => {
  const { report, json, read } = await run("invalid-flood", 8, { "flood-ms": "1000" });
  expect(json.trials).toHaveLength(4 * report.trialsPerPoint);
  for (const t of json.trials) {
    const d = t.data;
    expect(t.success).toBe(false);
    expect(d.banned).toBe(true);
    // The victim's own count of bans went up by this identity, well before the message budget.
    expect(d.bansAfter).toBe(d.bansBefore + 1);
    expect(d.messagesSent).toBeLessThan(json.params["max-messages"]);
    expect(d.bannedAfterMs).toBeGreaterThanOrEqual(0);
    const reasons = Object.keys(d.reasons);
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(REASONS[d.kind]!);
  }
  const m = json.metrics;
  expect(m.sustainedFlood.banned).toBe(m.sustainedFlood.identities);
  // Progress: the victim's RPC kept taking honest txs through the flood (the load records only
  // accepted ones, about tps per second), and the last one, sent as the flood ended, was mined in.
  const seconds = (m.throughputBefore.ms + m.throughputDuringFlood.ms) / 1000;
  expect(m.honestTxsSent.toVictim).toBeGreaterThan(0.5 * json.params.tps * seconds);
  expect(m.lastHonestTxToVictim.included).toBe(true);
  expect(m.throughputDuringFlood.ms).toBeGreaterThanOrEqual(1000);
  expect((await read("invalid-flood.svg")).startsWith("<svg")).toBe(true);
}, 90_000);
