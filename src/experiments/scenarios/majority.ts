/**
 * majority (PoW, 51%): an attacker with hashrate share q > 1/2 rewrites the last k blocks. Node 0
 * is the attacker, node 1 the honest miner, node 2 an honest node that only follows. Per trial the
 * attacker is partitioned off at a common head, the honest miner mines k blocks alone (the blocks
 * to rewrite), then both mine at q and 1 − q until the attacker's branch is strictly longer; the
 * partition heals and every honest node reorgs. Measured: blocks and time to rewrite, and the reorg
 * each honest node reports, against (k+1)/(2q−1) blocks.
 */
import type { RpcClient } from "../../rpc/index.ts";
import { type Head, waitForSameHead } from "../adversary/chain-view.ts";
import {
  blockAuthors,
  pollUntil,
  readHead,
  startMiner,
  stopAndAgree,
  stopMiner,
} from "../adversary/index.ts";
import { ExperimentError } from "../errors.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { majorityBlocksSd, majorityExpectedBlocks, majorityWithinProbability } from "../stats/index.ts";
import { majorityChart, majorityNotes, majoritySummary, reorgCounters } from "./majority-report.ts";
import { powTestnetParams, startPowTestnet } from "./testnet.ts";

const ATTACKER = 0;
const MINER = 1;
const FOLLOWER = 2;
const POLL_MS = 3;
/** Attempts at mining exactly k honest blocks before the race (a poll can see k+1). */
const SETUP_ATTEMPTS = 8;

/** Blocks to rewrite within which the attacker succeeds: the expected count, rounded down. */
export function rewriteBudget(q: number, k: number): number {
  return Math.floor(majorityExpectedBlocks(q, k));
}

export default defineScenario({
  name: "majority",
  description:
    "PoW 51% attack: an attacker with share q > 1/2, k blocks behind, rewrites them; blocks and time to rewrite and every honest node's reorg depth against (k+1)/(2q−1) blocks",
  params: {
    q: {
      type: "numbers",
      default: [0.6, 0.75],
      quick: [0.75],
      min: 0.51,
      max: 0.95,
      description: "attacker hashrate shares",
    },
    k: {
      type: "numbers",
      integer: true,
      default: [1, 3, 6],
      quick: [2],
      min: 1,
      max: 30,
      description: "blocks to rewrite (the honest chain's lead when the attacker starts)",
    },
    ...powTestnetParams(100),
  },
  trials: { default: 40, quick: 3 },
  async run(ctx) {
    const qs = ctx.params.q as readonly number[];
    const ks = ctx.params.k as readonly number[];
    const blockMs = ctx.params["block-ms"] as number;
    const hashrate = ctx.params.hashrate as number;
    const points: PointSpec[] = qs.flatMap((q) =>
      ks.map((k) => ({
        id: `q=${q},k=${k}`,
        coords: { q, k },
        predicted: { "first-passage": majorityWithinProbability(q, k, rewriteBudget(q, k)) },
        primary: "first-passage",
      })),
    );
    ctx.log("starting a 3-node PoW testnet (attacker, honest miner, honest follower)");
    const net = await startPowTestnet(ctx, {
      nodes: 3,
      miners: 2,
      blockMs,
      hashrate,
      processes: ctx.params.processes === true,
    });
    try {
      const [att, hon, fol] = await Promise.all([0, 1, 2].map((i) => net.client(i)));
      const all = [att!, hon!, fol!];
      const honest = [hon!, fol!];
      const attackerCoinbase = net.nodes[ATTACKER]!.coinbase!;
      await stopAndAgree(all, hon!, hashrate);

      /** Partitions the attacker off and lets the honest miner mine exactly k blocks alone. */
      const setUp = async (k: number) => {
        for (let attempt = 1; attempt <= SETUP_ATTEMPTS; attempt++) {
          const fork = await waitForSameHead(all, 30_000);
          await net.partition([[ATTACKER], [MINER, FOLLOWER]]);
          await startMiner(hon!, hashrate);
          const h = await pollUntil(
            `${k} honest blocks`,
            async () => {
              const x = (await readHead(hon!)).height;
              return x >= fork.height + k ? x : undefined;
            },
            60_000,
            POLL_MS,
          );
          await stopMiner(hon!);
          const now = (await readHead(hon!)).height;
          if (h === fork.height + k && now === h) return { fork, attempts: attempt };
          // One block too many before the miner stopped: join up and try again.
          await net.heal();
          await stopAndAgree(all, hon!, hashrate);
        }
        throw new ExperimentError("EXPERIMENT_FAILED", `could not mine exactly ${k} honest blocks`);
      };

      const trial = async (pt: PointSpec): Promise<TrialOutcome> => {
        const q = pt.coords.q!;
        const k = pt.coords.k!;
        const { fork, attempts } = await setUp(k);
        await waitForSameHead(honest, 10_000);
        const replaced = await blockHashes(hon!, fork.height, fork.height + k);
        // The clock starts once both miners run (their start-up is not part of the race).
        const race = () =>
          Promise.all([startMiner(att!, q * hashrate), startMiner(hon!, (1 - q) * hashrate)]);
        await race();
        const started = Date.now();
        let seen: { a: number; h: number } | undefined;
        let raceMs = 0;
        let a: Head;
        let h: Head;
        let restarts = 0;
        for (;;) {
          const lead = await pollUntil(
            "the attacker's branch to pass the honest one",
            async () => {
              const [x, y] = await Promise.all([readHead(att!), readHead(hon!)]);
              return x.height > y.height
                ? { a: x.height - fork.height, h: y.height - fork.height }
                : undefined;
            },
            300_000,
            POLL_MS,
          );
          // The first passage is the measurement; what follows only settles the heal.
          if (seen === undefined) {
            seen = lead;
            raceMs = Date.now() - started;
          }
          await Promise.all([stopMiner(att!), stopMiner(hon!)]);
          [a, h] = await Promise.all([readHead(att!), readHead(hon!)]);
          if (a.height > h.height) break;
          // An honest block landed between the poll and the stop: equal branches would stay apart
          // after the heal (first seen wins), so both mine on until the attacker leads when stopped.
          restarts++;
          await race();
        }
        const honestBranch = h.height - fork.height;
        const before = await Promise.all(honest.map(reorgCounters));
        await net.heal();
        const final = await waitForSameHead(all, 30_000);
        const after = await Promise.all(honest.map(reorgCounters));
        // Every honest node: the k blocks are gone, each height now holds the attacker's block.
        const rewritten = await Promise.all(
          honest.map(async (c) => {
            const now = await blockHashes(c, fork.height, fork.height + k);
            const authors = await blockAuthors(c, fork.height, fork.height + k);
            return now.every((x, i) => x !== replaced[i]) && authors.every((x) => x === attackerCoinbase);
          }),
        );
        const raceBlocks = seen.a + seen.h - k;
        return {
          success: raceBlocks <= rewriteBudget(q, k),
          data: {
            q,
            k,
            setupAttempts: attempts,
            forkHeight: fork.height,
            raceBlocks,
            raceMs,
            raceRestarts: restarts,
            attackerBranch: a.height - fork.height,
            honestBranch,
            finalHead: final.hash,
            finalIsAttackers: final.hash === a.hash,
            reorgs: after.map((x, i) => x.count - before[i]!.count),
            reorgDepths: after.map((x, i) => x.sum - before[i]!.sum),
            rewrittenOnEveryHonestNode: rewritten.every(Boolean),
          },
        };
      };

      ctx.log(`running ${points.length * ctx.trials} trials (${points.length} points x ${ctx.trials})`);
      const records = await ctx.trialLoop(points, ctx.trials, trial);
      ctx.metric("rewrite", majoritySummary(records, points, blockMs));
      ctx.metric("blockMs", blockMs);
      ctx.metric(
        "inconsistentTrials",
        records.filter(
          (r) =>
            r.data.rewrittenOnEveryHonestNode !== true ||
            (r.data.reorgDepths as number[]).some((d) => d < (r.data.k as number)),
        ).length,
      );
      ctx.chart(majorityChart(records, qs, ks, blockMs));
      ctx.note(majorityNotes(blockMs, hashrate));
      for (const q of qs) {
        for (const k of ks) {
          ctx.log(
            `q=${q} k=${k}: expected ${majorityExpectedBlocks(q, k).toFixed(1)} ± ${majorityBlocksSd(q, k).toFixed(1)} blocks`,
          );
        }
      }
    } finally {
      await net.stop();
    }
  },
});

/** The canonical hashes of heights (from, to] on a node. */
async function blockHashes(c: RpcClient, from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let h = from + 1; h <= to; h++) {
    const b = await c.call<{ hash: string } | null>("chain_getBlockByHeight", { height: h });
    if (b === null) throw new ExperimentError("EXPERIMENT_FAILED", `block ${h} is missing on the node`);
    out.push(b.hash);
  }
  return out;
}
