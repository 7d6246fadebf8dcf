/**
 * api-replay: an attacker who captured signed JSON-RPC requests (a proxy log, a tap on the wire)
 * resends them. The honest client creates one API key per trial (a state change a replay would
 * repeat); per trial, one kind of attack on its captured request:
 * - resend: the spent request resent verbatim, `repeats` times;
 * - window-edge: the request was signed so that its window ends moments after it is spent, and it
 *   is resent verbatim until and past the end of the window;
 * - stale: a request withheld past its window and delivered late, and the spent one with its
 *   timestamp moved back past the window or to now;
 * - future: a request signed ahead of the window, and the spent one with its timestamp moved ahead
 *   (inside and past the window);
 * - altered-body: a withheld request delivered with its body changed (an admin key for the
 *   attacker), and the spent one with its id changed;
 * - altered-path: the spent request sent to /rpc with a query string, and as GET /metrics.
 * Accepted means the request passed authentication (HTTP 200 with a result). After the run the
 * node is stopped and its audit log counted: every refusal must be there, under its reason.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { auditLogPath } from "../../rpc/audit.ts";
import { readAuditLog } from "../../rpc/audit-read.ts";
import { generateTestnet, Testnet } from "../../testnet/index.ts";
import {
  alterCaptured,
  type CapturedRequest,
  type DeliveryResult,
  deliverCaptured,
  setNodeConfig,
  signCaptured,
} from "../adversary/index.ts";
import { ExperimentError } from "../errors.ts";
import { defineScenario, type TrialOutcome } from "../scenario.ts";
import { processesParam } from "./options.ts";
import {
  acceptanceChart,
  count,
  kindLegend,
  kindRows,
  rowTotals,
  type Tally,
  zeroPoints,
} from "./zero-accepted.ts";

const KINDS = ["resend", "window-edge", "stale", "future", "altered-body", "altered-path"] as const;

/** One attack message and what the node answered. */
interface Attempt extends DeliveryResult {
  variant: string;
}

/** The reason the audit log records for a refusal the client sees as `code`. */
function auditReason(code: string): string {
  // A known key with a wrong signature: the client hears the generic code, the log keeps the cause.
  return code === "AUTH_INVALID_CREDENTIALS" ? "AUTH_BAD_SIGNATURE" : code;
}

export default defineScenario({
  name: "api-replay",
  description:
    "Replays of captured signed RPC requests: verbatim, at the window edge, with stale or future timestamps, with the body or path altered; zero accepted, every refusal found in the audit log",
  params: {
    "window-ms": {
      type: "integer",
      default: 2000,
      quick: 1000,
      min: 1000,
      max: 3_600_000,
      description: "the node's timestamp window (rpc.timestamp_window, ms)",
    },
    repeats: {
      type: "integer",
      default: 10,
      quick: 3,
      min: 1,
      max: 1000,
      description: "verbatim resends of a spent request (resend kind)",
    },
    "edge-lead-ms": {
      type: "integer",
      default: 150,
      min: 20,
      max: 10_000,
      description: "how long before its window ends a window-edge request is spent (ms)",
    },
    processes: processesParam("run the node as a child process instead of in this process"),
  },
  trials: { default: 20, quick: 2 },
  async run(ctx) {
    const windowMs = ctx.params["window-ms"] as number;
    const repeats = ctx.params.repeats as number;
    const lead = ctx.params["edge-lead-ms"] as number;
    if (lead >= windowMs) {
      throw new ExperimentError("EXPERIMENT_BAD_PARAM", "--edge-lead-ms must be below --window-ms", {
        param: "edge-lead-ms",
      });
    }
    const dir = join(ctx.workDir, "testnet");
    ctx.log(`generating a 1-node testnet with a ${windowMs} ms timestamp window`);
    const manifest = await generateTestnet({
      dir,
      nodes: 1,
      consensus: "pow",
      miners: 0,
      accounts: 1,
      blockTimeSeconds: 1,
      hashratePerMiner: 1000,
    });
    await setNodeConfig(manifest.nodes[0]!, "rpc", "timestamp_window", windowMs);
    const net = await Testnet.start({
      dir,
      inProcess: ctx.params.processes !== true,
      onProgress: (m) => ctx.log(m),
    });
    let stopped = false;
    try {
      const node = net.nodes[0]!;
      const url = node.rpcUrl!;
      const credential = (await readFile(node.adminKeyFile, "utf8")).trim();
      let serial = 0;
      const honest = (label: string, timestamp?: number): CapturedRequest =>
        signCaptured(credential, {
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: ++serial,
            method: "apikey_create",
            params: { scopes: ["read"], label },
          }),
          ...(timestamp !== undefined ? { timestamp } : {}),
        });
      const spend = async (c: CapturedRequest): Promise<void> => {
        const r = await deliverCaptured(url, c);
        if (!r.accepted)
          throw new ExperimentError("EXPERIMENT_FAILED", `the honest request was refused: ${r.code}`);
      };
      const attacks = async (kind: string, label: string): Promise<Attempt[]> => {
        const out: Attempt[] = [];
        const send = async (variant: string, c: CapturedRequest) =>
          out.push({ variant, ...(await deliverCaptured(url, c)) });
        const now = Date.now();
        if (kind === "resend") {
          const c = honest(label);
          await spend(c);
          for (let i = 0; i < repeats; i++) await send("verbatim", c);
        } else if (kind === "window-edge") {
          // Its window ends `lead` ms from now; resend until the node has called it stale 3 times.
          const c = honest(label, now - windowMs + lead);
          await spend(c);
          // The node reads its clock between our send and its answer (one clock on one machine):
          // answered before the edge is inside the window, sent after it is past, else either.
          const edge = now + lead;
          let stale = 0;
          while (stale < 3 && Date.now() < edge + 5000) {
            const sentAt = Date.now();
            const r = await deliverCaptured(url, c);
            const variant =
              Date.now() <= edge ? "verbatim-inside" : sentAt > edge ? "verbatim-past" : "verbatim-at-edge";
            out.push({ variant, ...r });
            if (r.code === "AUTH_STALE_TIMESTAMP") stale++;
            else await new Promise((res) => setTimeout(res, 10));
          }
        } else if (kind === "stale") {
          await send("withheld-past-window", honest(`${label}-withheld`, now - windowMs - 500));
          const c = honest(label);
          await spend(c);
          await send("timestamp-past-window", alterCaptured(c, { timestamp: Date.now() - windowMs - 500 }));
          await send("timestamp-now", alterCaptured(c, { timestamp: Date.now() }));
        } else if (kind === "future") {
          await send("signed-ahead", honest(`${label}-ahead`, Date.now() + windowMs + 500));
          const c = honest(label);
          await spend(c);
          await send(
            "timestamp-ahead-inside",
            alterCaptured(c, { timestamp: Date.now() + Math.floor(windowMs / 2) }),
          );
          await send("timestamp-ahead-past", alterCaptured(c, { timestamp: Date.now() + windowMs + 500 }));
        } else if (kind === "altered-body") {
          const withheld = honest(`${label}-withheld`);
          const grab = JSON.stringify({
            jsonrpc: "2.0",
            id: serial,
            method: "apikey_create",
            params: { scopes: ["admin"], label: `attacker-${label}` },
          });
          await send("withheld-body-changed", alterCaptured(withheld, { body: grab }));
          const c = honest(label);
          await spend(c);
          await send("spent-id-changed", alterCaptured(c, { body: c.body.replace(/"id":\d+/, '"id":0') }));
        } else {
          const c = honest(label);
          await spend(c);
          await send("query-added", alterCaptured(c, { path: "/rpc?replay=1" }));
          await send("get-metrics", alterCaptured(c, { method: "GET", path: "/metrics" }));
        }
        return out;
      };

      const trial = async (kind: string, index: number): Promise<TrialOutcome> => {
        const label = `trial-${index}`;
        const attempts = await attacks(kind, label);
        const reasons: Tally = {};
        for (const a of attempts) count(reasons, a.accepted ? "ACCEPTED" : a.code);
        const accepted = attempts.filter((a) => a.accepted).length;
        return { success: accepted > 0, data: { kind, label, attempts, reasons, accepted } };
      };

      const points = zeroPoints(KINDS);
      ctx.log(`running ${points.length * ctx.trials} trials (${points.length} kinds x ${ctx.trials})`);
      const records = await ctx.trialLoop(points, ctx.trials, (p, _rng, i) => trial(p.id, i));

      // What the node's state says: one key per spent honest request, none for the attacker.
      const client = await net.client(0);
      const keys = await client.call<{ label: string }[]>("apikey_list");
      const keyLabels: Tally = {};
      for (const k of keys) count(keyLabels, k.label);
      const spentLabels = records.map((r) => r.data.label as string);
      const duplicated = spentLabels.filter((l) => (keyLabels[l] ?? 0) !== 1).length;
      const foreign = Object.keys(keyLabels).filter(
        (l) => l.includes("-withheld") || l.includes("-ahead") || l.startsWith("attacker-"),
      ).length;

      // The audit log, complete once the node has closed it (aggregated refusals are flushed then).
      await net.stop();
      stopped = true;
      const audit = await readAuditLog(auditLogPath(node.dataDir));
      const audited: Tally = {};
      for (const e of audit.entries) {
        if (e.event === "auth_failure") count(audited, e.reason);
        if (e.event === "refusals_aggregated" && e.refused === "auth_failure")
          count(audited, e.reason, e.count);
      }
      const refused: Tally = {};
      for (const r of records)
        for (const a of r.data.attempts as Attempt[]) if (!a.accepted) count(refused, auditReason(a.code));
      const missing = Object.entries(refused)
        .filter(([reason, n]) => (audited[reason] ?? 0) !== n)
        .map(([reason, n]) => ({ reason, refused: n, audited: audited[reason] ?? 0 }));

      const rows = kindRows(KINDS, records, (r) => (r.data.attempts as Attempt[]).length);
      const totals = rowTotals(rows);
      ctx.metric("byKind", rows);
      ctx.metric("attacksSent", totals.sent);
      ctx.metric("attacksAccepted", totals.accepted);
      ctx.metric("keysDuplicatedOrMissing", duplicated);
      ctx.metric("keysCreatedByAttacks", foreign);
      ctx.metric("refusedByAuditReason", refused);
      ctx.metric("auditByReason", audited);
      ctx.metric("auditMismatches", missing);
      ctx.metric("windowMs", windowMs);
      ctx.chart(
        acceptanceChart("api-replay", "Replayed or altered signed RPC requests accepted, by kind", rows),
      );
      ctx.note(kindLegend(KINDS));
      ctx.note(
        [
          `**Design.** One in-process node with a ${windowMs} ms timestamp window. The honest client (the admin key) sends apikey_create with a label unique to the trial; the attacker holds the exact bytes and headers of that request, and of requests the client signed but the attacker withheld, and cannot sign.`,
          "Accepted means the node let the request through authentication (HTTP 200 with a result). The node's state is checked too: exactly one key per honest label, none for a withheld or altered request (metrics keysDuplicatedOrMissing and keysCreatedByAttacks).",
          "After the trials the node is stopped, which flushes the audit log's aggregated refusals, and the log is counted by reason (an auth_failure line, or a refusals_aggregated line with its count): auditMismatches lists every reason whose count differs from the refusals the attacker saw (a wrong signature on a known key is told to the client as AUTH_INVALID_CREDENTIALS and logged as AUTH_BAD_SIGNATURE).",
        ].join(" "),
      );
    } finally {
      if (!stopped) await net.stop();
    }
  },
});
