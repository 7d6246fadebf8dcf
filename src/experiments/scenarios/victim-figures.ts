/** What a victim node did over a phase of an experiment: chain throughput and CPU. */
import { readFile } from "node:fs/promises";
import type { RpcClient } from "../../rpc/index.ts";
import { canonicalBlocks, readHead } from "../adversary/index.ts";

/** A phase's figures, read from the victim's chain and its process. */
export interface PhaseFigures {
  ms: number;
  blocks: number;
  txs: number;
  txsPerSecond: number;
  blocksPerSecond: number;
  /** CPU time over wall time, in percent of one core. */
  cpuPercent: number;
}

/** CPU seconds used so far by `pid`: this process's own counters, or /proc for a child (Linux). */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined || pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime (fields 14 and 15 of the whole line) in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `work` and reports the blocks and txs the victim's chain gained meanwhile, and its CPU. */
export async function measurePhase<T>(
  victim: RpcClient,
  pid: number | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; figures: PhaseFigures }> {
  const [h0, c0, t0] = [(await readHead(victim)).height, await cpuSeconds(pid), Date.now()];
  const result = await work();
  const [h1, c1, t1] = [(await readHead(victim)).height, await cpuSeconds(pid), Date.now()];
  const txs = (await canonicalBlocks(victim, h0, h1)).reduce((n, b) => n + b.txs.length, 0);
  const ms = Math.max(1, t1 - t0);
  return {
    result,
    figures: {
      ms,
      blocks: h1 - h0,
      txs,
      txsPerSecond: (txs * 1000) / ms,
      blocksPerSecond: ((h1 - h0) * 1000) / ms,
      cpuPercent: ((c1 - c0) * 100_000) / ms,
    },
  };
}
