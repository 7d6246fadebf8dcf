/**
 * `chainlab compare`: the PoW testnet and the PoS testnet, one after the other in an order the
 * seed picks (so a drift of the machine's load does not always favour the same engine), then the
 * measures, the table, the charts and the files.
 */
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type ProgressSink, silentProgress } from "../progress.ts";
import { machineInfo } from "../report/write.ts";
import { createRng } from "../rng.ts";
import { compareCharts } from "./charts.ts";
import { measureRun } from "./measures.ts";
import { type CompareOptions, resolveCompareOptions } from "./options.ts";
import { type CompareReport, type WrittenCompare, writeCompareReport } from "./report.ts";
import { compareRows } from "./rows.ts";
import { type Consensus, type RawRun, runOne } from "./run-one.ts";

/** How to run a comparison. */
export interface CompareRunOptions extends Partial<CompareOptions> {
  out: string;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Keep the testnets' dirs (DIR/work) after the run; default: removed. */
  keepWork?: boolean;
}

/** How each figure is obtained, written into report.md. */
const NOTES = [
  "**CPU per block.** Each node's `chainlab_process_cpu_seconds_total` (prom-client's process CPU, user + system over every thread, the PoW miner's workers included) read from its /metrics at the start and the end of the window; the sum of the differences over all nodes divided by the blocks in the window. The window opens when the load starts and closes once the chain has grown by the requested blocks and the load has ended.",
  "**Hashes per block.** The PoW miners' own hash counters (the miner pool's running total, reported by `consensus_status` as `hashes`), summed over the miners, over the same window and blocks; the difficulty (expected hashes per block) is shown beside it. The miners are throttled to `--hashrate`, so the PoW CPU figure scales with that setting: on real hardware it is the unthrottled rate. PoS runs no sealer.",
  "**Intervals.** Differences of consecutive canonical block timestamps in the window. PoS timestamps are slot starts, so its spread comes only from missed slots.",
  "**Stale rate.** After the producers stop: the blocks every producer reports it made (PoW `blocksFound`, PoS `proposed`), against the canonical height every node agrees on; reorgs are the nodes' `chainlab_reorgs_total`.",
  "**Finality.** PoS: node 0's `consensus_status` polled every 200 ms; a block's time to finality runs from its timestamp to the first poll whose finalized height covers it (resolution 200 ms). PoW: the fewest confirmations z with the whitepaper's P(q, z) < 0.1% (§11), times the measured mean interval; PoW has no finality, this is the usual stand-in.",
  "**Issuance, inflation, rewards.** Read from the chain, not assumed: every balance that can hold coins (the load's accounts, the PoW coinbases or the PoS validator addresses) and every validator's stake at the head, against the genesis allocations and bonded stake. PoW subsidy = the coinbases' balances minus the fees in the canonical blocks; PoS fees = the beneficiaries' balances, attestation rewards = the change in the validators' stakes (net of any penalty). The PoS reward pool is not exposed over RPC and is not counted in the supply; with no issuance (the default) it only holds penalties.",
  "**Majority attack.** PoW: an attacker needs more than half of the total hashrate, i.e. more than the testnet's measured hashrate (hash counters over the window) on top of it. PoS: more than 1/3 of the active stake (consensus_status `activeStake`) withholding votes halts finality, 2/3 finalizes alone; as new stake A joining S, A > S/2 and A ≥ 2S. The stake slashed is the node's slashing rules (initial penalty effective / minSlashingPenaltyQuotient, correlation penalty with proportionalSlashingMultiplier) applied to the measured validator set's smallest 1/3, from the genesis parameters.",
  "**Double spend at q = 0.3, z = 6.** PoW: the exact race (negative binomial attacker blocks, one pre-mined; `exactDoubleSpendSuccess`) and the whitepaper's Poisson form. PoS: 0 after finality, since two conflicting finalized checkpoints need 1/3 of the stake to double-vote and be slashed (accountable safety), and q = 0.3 < 1/3; measured is only that every node finalized the same checkpoint and no validator was slashed. Before finality (z = 6 blocks is shorter than the measured time to finality) a 30% staker's reorg chance under LMD-GHOST has no closed form here.",
  "**Throughput and latency.** `runLoad`: signed transfers at the target rate, round-robin over the nodes, inclusion tracked on node 0's canonical chain.",
];

/** Runs the comparison and writes DIR/report.json, report.md and the charts. */
export async function runCompare(
  o: CompareRunOptions,
): Promise<{ report: CompareReport; written: WrittenCompare }> {
  const options = resolveCompareOptions(o);
  const out = resolve(o.out);
  const workDir = join(out, "work");
  await mkdir(workDir, { recursive: true });
  const progress = o.progress ?? silentProgress;
  const signal = o.signal ?? new AbortController().signal;
  const order: Consensus[] = createRng(options.seed).next() < 0.5 ? ["pow", "pos"] : ["pos", "pow"];
  const started = Date.now();
  const runs: Partial<Record<Consensus, RawRun>> = {};
  progress.start(2 * options.blocks);
  try {
    for (const [i, consensus] of order.entries()) {
      runs[consensus] = await runOne(consensus, options, {
        dir: workDir,
        progress,
        progressOffset: i * options.blocks,
        signal,
      });
    }
  } finally {
    progress.stop();
  }
  if (o.keepWork !== true) await rm(workDir, { recursive: true, force: true });
  const pow = measureRun(runs.pow!);
  const pos = measureRun(runs.pos!);
  const finished = Date.now();
  const report: CompareReport = {
    version: 1,
    kind: "compare",
    options,
    order,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    machine: machineInfo(),
    rows: compareRows(pow, pos),
    measures: { pow, pos },
    notes: NOTES,
    charts: compareCharts(pow, pos),
    runs: { pow: runs.pow!, pos: runs.pos! },
  };
  return { report, written: await writeCompareReport(out, report) };
}
