/** api-replay --quick on a real in-process node: no captured request is accepted twice or altered, and the audit log has every refusal. */
import { expect, it } from "vitest";
import { quickRunner } from "./quick-run.ts";

const run = quickRunner();

/** The refusal each attack variant must meet. */
const EXPECTED: Record<string, string[]> = {
  verbatim: ["AUTH_REPLAYED_NONCE"],
  // Answered before the window's end: inside it; sent after the end: past it; a resend that
  // straddles the end may meet either refusal, never an acceptance.
  "verbatim-inside": ["AUTH_REPLAYED_NONCE"],
  "verbatim-past": ["AUTH_STALE_TIMESTAMP"],
  "verbatim-at-edge": ["AUTH_STALE_TIMESTAMP", "AUTH_REPLAYED_NONCE"],
  "withheld-past-window": ["AUTH_STALE_TIMESTAMP"],
  "timestamp-past-window": ["AUTH_STALE_TIMESTAMP"],
  "timestamp-now": ["AUTH_INVALID_CREDENTIALS", "AUTH_REPLAYED_NONCE"],
  "signed-ahead": ["AUTH_FUTURE_TIMESTAMP"],
  "timestamp-ahead-inside": ["AUTH_INVALID_CREDENTIALS"],
  "timestamp-ahead-past": ["AUTH_FUTURE_TIMESTAMP"],
  "withheld-body-changed": ["AUTH_INVALID_CREDENTIALS"],
  "spent-id-changed": ["AUTH_INVALID_CREDENTIALS"],
  "query-added": ["AUTH_INVALID_CREDENTIALS"],
  "get-metrics": ["AUTH_INVALID_CREDENTIALS"],
};

it("api-replay --quick accepts nothing, refuses each variant for its reason, and the audit log counts match", async () => {
  // A lead of 400 ms leaves room for a loaded machine to spend the edge request inside its window.
  const { report, json, read } = await run("api-replay", 3, { "edge-lead-ms": "400" });
  expect(json.points).toHaveLength(6);
  let sent = 0;
  for (const t of json.trials) {
    expect(t.success).toBe(false);
    expect(t.data.attempts.length).toBeGreaterThan(0);
    for (const a of t.data.attempts) {
      expect(a.accepted).toBe(false);
      expect(EXPECTED[a.variant]).toContain(a.code);
      sent++;
    }
  }
  // The window-edge resends crossed the edge: stale refusals after replay refusals.
  const edge = json.trials.find((t: { data: { kind: string } }) => t.data.kind === "window-edge");
  expect(edge.data.reasons.AUTH_STALE_TIMESTAMP).toBe(3);
  expect(edge.data.reasons.AUTH_REPLAYED_NONCE).toBeGreaterThan(0);
  const m = report.metrics as Record<string, unknown>;
  expect(m.attacksSent).toBe(sent);
  expect(m.attacksAccepted).toBe(0);
  expect(m.keysDuplicatedOrMissing).toBe(0);
  expect(m.keysCreatedByAttacks).toBe(0);
  // Every refusal is in the audit log under its reason, and nothing else is.
  expect(m.auditMismatches).toEqual([]);
  expect(m.auditByReason).toEqual(m.refusedByAuditReason);
  const total = Object.values(m.auditByReason as Record<string, number>).reduce((n, k) => n + k, 0);
  expect(total).toBe(sent);
  expect((await read("api-replay.svg")).startsWith("<svg")).toBe(true);
}, 60_000);
