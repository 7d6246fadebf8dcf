/**
 * Gossip on the node's hooks: incoming faults (admin_gossipFault: delay or drop per topic and
 * peer), and the verdicts a node gave to gossip messages (net_stats), read as a difference of two
 * snapshots.
 */
import type { RpcClient } from "../../rpc/index.ts";
import { pollUntil } from "./chain-view.ts";

/** An incoming-gossip fault: delay and/or drop a percentage, on one topic and from one peer if given. */
export interface GossipFaultRule {
  topic?: string;
  peer?: string;
  delayMs?: number;
  dropPercent?: number;
}

/** Sets the node's incoming gossip fault (replacing the previous one); an empty rule clears it. */
export async function setGossipFault(c: RpcClient, rule: GossipFaultRule): Promise<void> {
  await c.call("admin_gossipFault", {
    ...(rule.topic !== undefined ? { topic: rule.topic } : {}),
    ...(rule.peer !== undefined ? { peer: rule.peer } : {}),
    delayMs: Math.round(rule.delayMs ?? 0),
    dropProbability: Math.round(rule.dropPercent ?? 0),
  });
}

/** The gossip verdict counters of a node: accepted by topic, ignored and rejected by reason. */
export interface VerdictCounts {
  accepted: Record<string, number>;
  ignored: Record<string, number>;
  rejections: Record<string, number>;
  bans: number;
}

/** Reads the node's verdict counters. */
export async function gossipVerdicts(c: RpcClient): Promise<VerdictCounts> {
  const s = await c.call<VerdictCounts>("net_stats");
  return {
    accepted: s.accepted ?? {},
    ignored: s.ignored ?? {},
    rejections: s.rejections ?? {},
    bans: s.bans ?? 0,
  };
}

/**
 * The verdicts given since `before`, one entry per verdict: "ACCEPT" for an accepted message (on
 * `topic` only, if given: accepts are counted by topic), the reason code for an ignored or
 * rejected one (counted by reason, on any topic).
 */
export function verdictsSince(before: VerdictCounts, after: VerdictCounts, topic?: string): string[] {
  const out: string[] = [];
  const diff = (a: Record<string, number>, b: Record<string, number>, label: (k: string) => string) => {
    for (const [k, n] of Object.entries(b)) for (let i = a[k] ?? 0; i < n; i++) out.push(label(k));
  };
  const onTopic = (m: Record<string, number>) => (topic === undefined ? m : { [topic]: m[topic] ?? 0 });
  diff(onTopic(before.accepted), onTopic(after.accepted), () => "ACCEPT");
  diff(before.ignored, after.ignored, (k) => k);
  diff(before.rejections, after.rejections, (k) => k);
  return out;
}

/** Waits until the node has given at least `n` verdicts since `before` (accepts on `topic`). */
export async function waitForVerdicts(
  c: RpcClient,
  before: VerdictCounts,
  opts: { n?: number; topic?: string; timeoutMs?: number } = {},
): Promise<string[]> {
  const n = opts.n ?? 1;
  return pollUntil(
    `${n} gossip verdict(s)`,
    async () => {
      const v = verdictsSince(before, await gossipVerdicts(c), opts.topic);
      return v.length >= n ? v : undefined;
    },
    opts.timeoutMs ?? 10_000,
    5,
  );
}
