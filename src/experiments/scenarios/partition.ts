/**
 * partition (PoW): a network split. The nodes form two groups, A (the first half) and B; per trial
 * the groups are partitioned, A's miners get share s of the hashrate and B's 1 − s, honest
 * transfers go to one node of each side, and both sides mine for `partition-ms`. The miners are
 * frozen, the branches read, the partition healed and the miners restarted at their shares until
 * every node reports one head. The report gives, per trial, which branch was kept (against the
 * Poisson race's closed form), the reorg depth, the blocks orphaned, the convergence time and the
 * txs each side saw confirmed and then lost (and whether they came back).
 */
import { join } from "node:path";
import { chainNames } from "../../p2p/index.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { Testnet } from "../../testnet/index.ts";
import {
  type BlockView,
  canonicalBlocks,
  chainIdentity,
  convergeStopped,
  mineBlocks,
  openAccount,
  readHead,
  setGossipFault,
  startHonestLoad,
  startMiner,
  stopMiner,
  txStatus,
  waitForSameHead,
  waitUntilHashing,
} from "../adversary/index.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { partitionWinProbability, wilsonInterval } from "../stats/index.ts";
import { blockMsParam, hashrateParam, processesParam } from "./options.ts";

/** One side's branch at the freeze. */
interface Branch {
  blocks: BlockView[];
  txs: string[];
}

export default defineScenario({
  name: "partition",
  description:
    "A network split into two groups with set hashrate shares: both sides mine, then the partition heals; which branch is kept (against the Poisson race), reorg depth, blocks orphaned, convergence time, and txs confirmed and then lost",
  params: {
    share: {
      type: "numbers",
      default: [0.2, 0.35, 0.5],
      quick: [0.35],
      min: 0.05,
      max: 0.5,
      description: "hashrate shares of group A",
    },
    nodes: {
      type: "integer",
      default: 4,
      quick: 3,
      min: 2,
      max: 16,
      description: "mining nodes (group A is the first half, rounded down)",
    },
    "partition-ms": {
      type: "integer",
      default: 3000,
      quick: 1500,
      min: 100,
      max: 600_000,
      description: "how long the sides mine apart (ms)",
    },
    "block-ms": blockMsParam({ default: 200 }),
    hashrate: hashrateParam(200_000),
    tps: {
      type: "number",
      default: 10,
      quick: 5,
      min: 0.1,
      max: 1000,
      description: "honest transfers per second submitted on each side during the partition",
    },
    "latency-ms": {
      type: "integer",
      default: 0,
      min: 0,
      max: 60_000,
      description: "delay added to every incoming block message (gossip fault), to model propagation",
    },
    processes: processesParam(),
  },
  trials: { default: 30, quick: 3 },
  async run(ctx) {
    const shares = ctx.params.share as readonly number[];
    const nodes = ctx.params.nodes as number;
    const partitionMs = ctx.params["partition-ms"] as number;
    const blockMs = ctx.params["block-ms"] as number;
    const hashrate = ctx.params.hashrate as number;
    const tps = ctx.params.tps as number;
    const latencyMs = ctx.params["latency-ms"] as number;
    const expectedBlocks = partitionMs / blockMs;
    const groupA = Array.from({ length: Math.floor(nodes / 2) }, (_, i) => i);
    const groupB = Array.from({ length: nodes - groupA.length }, (_, i) => groupA.length + i);
    const points: PointSpec[] = shares.map((s) => ({
      id: `s=${s}`,
      coords: { s },
      predicted: { poisson: partitionWinProbability(s, expectedBlocks) },
      primary: "poisson",
    }));

    ctx.log(
      `starting a ${nodes}-node PoW testnet (group A: ${groupA.join(",")}, group B: ${groupB.join(",")})`,
    );
    const net = await Testnet.start({
      dir: join(ctx.workDir, "testnet"),
      fresh: true,
      nodes,
      miners: nodes,
      accounts: 4,
      blockTimeSeconds: blockMs / 1000,
      hashratePerMiner: hashrate / nodes,
      halfLifeSeconds: 1e9,
      inProcess: ctx.params.processes !== true,
      onProgress: (m) => ctx.log(m),
    });
    try {
      const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
      await Promise.all(clients.map(stopMiner));
      const identity = await chainIdentity(clients[0]!);
      if (latencyMs > 0) {
        const topic = chainNames(identity.genesisHash).blocksTopic;
        await Promise.all(clients.map((c) => setGossipFault(c, { topic, delayMs: latencyMs })));
      }
      // Fund-carrying senders: one on each side, each paying an account nobody else uses.
      const [wa, wb] = [await openAccount(net.manifest, 0), await openAccount(net.manifest, 1)];
      const senders = [
        { wallet: wa, client: clients[groupA[0]!]!, to: net.manifest.accounts[2]!.address },
        { wallet: wb, client: clients[groupB[0]!]!, to: net.manifest.accounts[3]!.address },
      ];
      await convergeStopped(clients, clients[0]!, hashrate);
      const shareOf = (s: number, i: number) =>
        groupA.includes(i) ? (s * hashrate) / groupA.length : ((1 - s) * hashrate) / groupB.length;
      const startAll = (s: number) => Promise.all(clients.map((c, i) => startMiner(c, shareOf(s, i))));
      const stopAll = () => Promise.all(clients.map(stopMiner));

      const trial = async (pt: PointSpec): Promise<TrialOutcome> => {
        const s = pt.coords.s!;
        const fork = await waitForSameHead(clients, 20_000);
        await net.partition([groupA, groupB]);
        const load = await startHonestLoad(senders, identity, tps);
        await startAll(s);
        await waitUntilHashing(clients);
        await new Promise((r) => setTimeout(r, partitionMs));
        await stopAll();
        const sent = await load.stop();
        // Two miners of one side can stop on equal tips: a block of that side settles it.
        const side = (g: number[]) => g.map((i) => clients[i]!);
        const [headA, headB] = await Promise.all([
          convergeStopped(side(groupA), clients[groupA[0]!]!, shareOf(s, groupA[0]!)),
          convergeStopped(side(groupB), clients[groupB[0]!]!, shareOf(s, groupB[0]!)),
        ]);
        const readBranch = async (c: RpcClient, height: number): Promise<Branch> => {
          const blocks = await canonicalBlocks(c, fork.height, height);
          return { blocks, txs: blocks.flatMap((b) => b.txs) };
        };
        const a = await readBranch(clients[groupA[0]!]!, headA.height);
        const b = await readBranch(clients[groupB[0]!]!, headB.height);
        const healedAt = Date.now();
        await net.heal();
        // Equal branches stay apart (first seen wins) until the next block: mine it.
        const tie = a.blocks.length === b.blocks.length && a.blocks.length > 0;
        if (tie) await startAll(s);
        const converged = await waitForSameHead(clients, 60_000);
        const convergenceMs = Date.now() - healedAt;
        if (tie) await stopAll();
        const final = await convergeStopped(clients, clients[0]!, hashrate);
        const kept = await readBranch(clients[0]!, final.height);
        const keptHashes = new Set(kept.blocks.map((x) => x.hash));
        const keptTxs = new Set(kept.txs);
        const orphanedA = a.blocks.filter((x) => !keptHashes.has(x.hash)).length;
        const orphanedB = b.blocks.filter((x) => !keptHashes.has(x.hash)).length;
        const lostA = a.txs.filter((id) => !keptTxs.has(id));
        const lostB = b.txs.filter((id) => !keptTxs.has(id));
        // Lost txs go back to the pools of their own side's nodes: one block mined on each side.
        let end = final;
        for (const i of [groupA[0]!, groupB[0]!]) {
          await mineBlocks(clients[i]!, 1, hashrate);
          end = await waitForSameHead(clients, 20_000);
        }
        const back = await Promise.all(
          [...lostA, ...lostB].map(
            async (id) => (await txStatus(clients[nodes - 1]!, id)).status === "included",
          ),
        );
        const aWon = a.blocks.length > 0 && orphanedA === 0;
        return {
          success: aWon,
          data: {
            s,
            forkHeight: fork.height,
            branchA: a.blocks.length,
            branchB: b.blocks.length,
            kept: aWon ? "A" : orphanedB === 0 && b.blocks.length > 0 ? "B" : "none",
            orphanedA,
            orphanedB,
            blocksOrphaned: orphanedA + orphanedB,
            reorgDepth: Math.max(orphanedA, orphanedB),
            convergenceMs,
            tie,
            convergedHeight: converged.height,
            sentA: sent[0]!.length,
            sentB: sent[1]!.length,
            confirmedA: a.txs.length,
            confirmedB: b.txs.length,
            lostA: lostA.length,
            lostB: lostB.length,
            lostThenReincluded: back.filter(Boolean).length,
            keptHead: final.hash,
            finalHead: end.hash,
            finalHeight: end.height,
            headsAfter: (await Promise.all(clients.map(readHead))).map((h) => h.hash),
          },
        };
      };

      ctx.log(`running ${points.length * ctx.trials} trials (${points.length} shares x ${ctx.trials})`);
      const records = await ctx.trialLoop(points, ctx.trials, trial);
      const sum = (xs: readonly { data: Record<string, unknown> }[], k: string) =>
        xs.reduce((n, r) => n + (r.data[k] as number), 0);
      const mean = (xs: readonly { data: Record<string, unknown> }[], k: string) =>
        xs.length === 0 ? 0 : sum(xs, k) / xs.length;
      const max = (xs: readonly { data: Record<string, unknown> }[], k: string) =>
        Math.max(0, ...xs.map((r) => r.data[k] as number));
      ctx.metric(
        "byShare",
        shares.map((s) => {
          const mine = records.filter((r) => r.data.s === s);
          const blocksA = sum(mine, "branchA");
          const ci = wilsonInterval(blocksA, blocksA + sum(mine, "branchB"));
          return {
            s,
            trials: mine.length,
            measuredShare: ci.estimate,
            shareLo: ci.lo,
            shareHi: ci.hi,
            meanReorgDepth: mean(mine, "reorgDepth"),
            maxReorgDepth: max(mine, "reorgDepth"),
            blocksOrphaned: sum(mine, "blocksOrphaned"),
            meanConvergenceMs: Math.round(mean(mine, "convergenceMs")),
            maxConvergenceMs: max(mine, "convergenceMs"),
            txsConfirmedThenLost: sum(mine, "lostA") + sum(mine, "lostB"),
            lostThenReincluded: sum(mine, "lostThenReincluded"),
          };
        }),
      );
      ctx.metric("expectedBlocksPerPartition", expectedBlocks);
      ctx.metric(
        "notConverged",
        records.filter((r) => new Set(r.data.headsAfter as string[]).size !== 1).length,
      );
      const grid = Array.from({ length: 46 }, (_, i) => 0.05 + i / 100);
      ctx.chart({
        file: "partition",
        title: "Partition: how often the minority group's branch is kept (real chainlab nodes)",
        xTitle: "hashrate share s of group A",
        yTitle: "P(group A's branch kept)",
        seriesTitle: "series",
        theory: grid.map((s) => ({
          x: s,
          y: partitionWinProbability(s, expectedBlocks),
          series: "Poisson race",
        })),
        measured: points.map((p) => {
          const mine = records.filter((r) => r.point === p.id);
          const ci = wilsonInterval(mine.filter((r) => r.success).length, mine.length);
          return {
            x: p.coords.s!,
            y: ci.estimate,
            lo: ci.lo,
            hi: ci.hi,
            series: "Poisson race",
            trials: mine.length,
          };
        }),
      });
      ctx.note(
        [
          `**Design.** ${nodes} in-process PoW nodes with a fixed difficulty (one block per ${blockMs} ms at ${hashrate} hashes/s in all). Group A is nodes ${groupA.join(", ")}, group B nodes ${groupB.join(", ")}.`,
          `Each trial partitions the groups, starts A's miners at s and B's at 1 − s of the hashrate and sends ${tps} honest transfers per second to one node on each side, for ${partitionMs} ms (λ = ${expectedBlocks.toFixed(1)} blocks expected in all). The ${partitionMs} ms are timed from the moment every miner reports a hashrate (worker threads take a while to start on a loaded machine). Then the miners are frozen (two miners of one side that stopped on equal tips get one more block of that side to settle them), each side's branch read (blocks and txs) and the partition healed; the time until every node reports the same head is the convergence time (sync only; after a tie the miners restart until the next block decides, and that block's time is included).`,
          "The kept branch is read from the converged chain: blocks of a side's branch missing from it are orphaned; the reorg depth is the longest orphaned branch (what the losing nodes reverted). Txs confirmed on a side and missing from the converged chain are lost; after one more block mined on each side it is checked which came back from the pools (metric lostThenReincluded). Re-injected txs are not relayed, so a lost tx comes back only in a block of its own side.",
          "The prediction is the Poisson race: the branch lengths are independent Poisson counts with means sλ and (1 − s)λ; the longer wins and a tie goes to the next block's miner (A with probability s). The miners stop and start per phase, so the blocks' share of each side is reported per share (metric byShare.measuredShare) for comparison with s.",
          latencyMs > 0
            ? `Every incoming block message is delayed by ${latencyMs} ms (gossip fault) to model propagation.`
            : "",
        ].join(" "),
      );
    } finally {
      await net.stop();
    }
  },
});
