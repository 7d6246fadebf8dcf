/** The majority report's aggregates: blocks and time to rewrite against theory, and its chart. */
import type { RpcClient } from "../../rpc/index.ts";
import type { ChartSpec } from "../report/chart.ts";
import type { PointSpec, TrialRecord } from "../scenario.ts";
import { majorityBlocksSd, majorityExpectedBlocks, Z95 } from "../stats/index.ts";

/** A node's reorg counters from its /metrics (count and summed depth of reorgs so far). */
export async function reorgCounters(c: RpcClient): Promise<{ count: number; sum: number }> {
  const text = await c.metrics();
  const read = (name: string): number => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { count: read("chainlab_reorg_depth_blocks_count"), sum: read("chainlab_reorg_depth_blocks_sum") };
}

function meanAndHalfWidth(xs: readonly number[]): { mean: number; half: number } {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, half: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = n < 2 ? 0 : xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, half: (Z95 * Math.sqrt(v)) / Math.sqrt(n) };
}

/** Per point: mean blocks and ms to rewrite with a 95% normal interval, against theory. */
export function majoritySummary(
  records: readonly TrialRecord[],
  points: readonly Pick<PointSpec, "id" | "coords">[],
  blockMs: number,
) {
  return points.map((p) => {
    const mine = records.filter((r) => r.point === p.id);
    const q = p.coords.q!;
    const k = p.coords.k!;
    const blocks = meanAndHalfWidth(mine.map((r) => r.data.raceBlocks as number));
    const ms = meanAndHalfWidth(mine.map((r) => r.data.raceMs as number));
    const expected = majorityExpectedBlocks(q, k);
    const depths = mine.flatMap((r) => r.data.reorgDepths as number[]);
    return {
      q,
      k,
      trials: mine.length,
      meanBlocks: blocks.mean,
      blocksLo: blocks.mean - blocks.half,
      blocksHi: blocks.mean + blocks.half,
      expectedBlocks: expected,
      sdBlocks: majorityBlocksSd(q, k),
      meanMs: ms.mean,
      msLo: ms.mean - ms.half,
      msHi: ms.mean + ms.half,
      expectedMs: expected * blockMs,
      minReorgDepth: depths.length ? Math.min(...depths) : null,
      meanReorgDepth: depths.length ? depths.reduce((a, b) => a + b, 0) / depths.length : null,
    };
  });
}

/** Mean blocks to rewrite against k, one theory line per q. */
export function majorityChart(
  records: readonly TrialRecord[],
  qs: readonly number[],
  ks: readonly number[],
  blockMs: number,
): ChartSpec {
  const kMax = Math.max(...ks);
  const points = qs.flatMap((q) => ks.map((k) => ({ id: `q=${q},k=${k}`, coords: { q, k } })));
  const summary = majoritySummary(records, points, blockMs);
  return {
    file: "majority",
    title: "Blocks until a majority attacker has rewritten k blocks (real chainlab nodes)",
    xTitle: "blocks rewritten k",
    yTitle: "blocks mined until the attacker leads (both miners)",
    seriesTitle: "attacker share q",
    linearY: true,
    theory: qs.flatMap((q) =>
      Array.from({ length: kMax + 1 }, (_, k) => ({
        x: k,
        y: majorityExpectedBlocks(q, k),
        series: `q=${q}`,
      })),
    ),
    measured: summary.map((s) => ({
      x: s.k,
      y: s.meanBlocks,
      lo: s.blocksLo,
      hi: s.blocksHi,
      series: `q=${s.q}`,
      trials: s.trials,
    })),
  };
}

/** The design notes of the report. */
export function majorityNotes(blockMs: number, hashrate: number): string {
  return [
    "**Trial design.** Three real chainlab nodes on libp2p over loopback: node-0 the attacker, node-1 the honest miner, node-2 an honest node that mines nothing. Each trial partitions the attacker off at a head all three agree on and lets the honest miner mine exactly k blocks alone (the blocks to rewrite; a setup that overshoots joins up and starts again), then both throttled miners run at q and 1−q of",
    `${hashrate} hashes/s (fixed difficulty: one block per ${blockMs} ms at the full rate) until the attacker's branch is strictly longer. The partition heals, and every honest node must reorg onto the attacker's branch: the trial checks by RPC that each of the k heights now holds a different block mined by the attacker, and reads the reorgs each honest node counted from its /metrics (chainlab_reorg_depth_blocks).`,
    "**Theory.** Each block is the attacker's with probability q, so its lead is a random walk with drift 2q−1 from −k; the blocks until it is one ahead are the walk's first passage to k+1: mean (k+1)/(2q−1), variance (k+1)(1−μ²)/μ³ with μ = 2q−1, and the expected time is that many block intervals at the full rate. The probability compared per point (`first-passage`) is P(the rewrite needs at most ⌊(k+1)/(2q−1)⌋ blocks), computed exactly by dynamic programming over the walk; a trial succeeds when it needed no more. metrics.rewrite gives the mean blocks and ms with 95% normal intervals against the expectation, and the reorg depths.",
  ].join(" ");
}
