/**
 * nothing-at-stake (PoS): the textbook argument run both ways, one column with slashing off and
 * one with it on. The network is split into two halves for some epochs, so each builds its own
 * branch; the "multi-voter" validators sign on both (their keys are loaded on a node of each side,
 * each with its own slashing-protection DB, so each signs its own side's blocks and votes). Then
 * the partition heals. A slasher (this scenario, reading both branches' block bodies as a slasher
 * service would) publishes the double votes it finds as evidence. Per column: the fork's lifetime
 * after the heal (until every node reports one head, and the last vote for the losing branch),
 * the votes each branch received (honest and multi-voter), the double votes, what the strategy
 * cost the multi-voters in stake, whether the chain converged, and whether finality resumed.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Attestation, posFieldsOf } from "../../consensus/pos/audit.ts";
import { toHex } from "../../core/hash.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { pollUntil, readHead, waitForSameHead } from "../adversary/chain-view.ts";
import { readPosStatus, waitForFinalizedEpoch } from "../adversary/pos.ts";
import { fetchPosBlocks, type PosChain, type RawPosBlock, readPosChain } from "../adversary/pos-chain.ts";
import {
  coins,
  copyValidatorKeys,
  distinctVotes,
  expectedEffective,
  expectedSlash,
  findSlashableVotes,
  generatePosTestnet,
  type PosPlan,
  posShapeParams,
  publishEvidence,
  readEvidence,
  readHoldings,
  readPosShape,
  readValidator,
  startGenerated,
} from "../adversary/pos-equivocation.ts";
import { ExperimentError } from "../errors.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { processesParam } from "./options.ts";

/** Votes for one branch's blocks. */
interface BranchVotes {
  honest: number;
  multiVoter: number;
  afterHeal: number;
}

const slotOf = (b: RawPosBlock): number => posFieldsOf(b.block.header).slot;
const clockSlot = async (c: RpcClient): Promise<number> => (await readPosStatus(c)).slot;

/** Waits until every client's clock is at `slot` or later. */
async function waitForSlot(clients: readonly RpcClient[], slot: number, timeoutMs: number): Promise<void> {
  await pollUntil(
    `slot ${slot}`,
    async () => ((await Promise.all(clients.map(clockSlot))).every((s) => s >= slot) ? true : undefined),
    timeoutMs,
    100,
  );
}

export default defineScenario({
  name: "nothing-at-stake",
  description:
    "PoS: validators who vote on every fork of a partitioned network, with slashing off and on: fork lifetime after the heal, votes per branch, double votes, the stake the strategy cost, convergence and finality",
  params: {
    nodes: {
      type: "integer",
      default: 4,
      min: 2,
      max: 16,
      description: "nodes; side A is the first half, side B the rest",
    },
    ...posShapeParams("validators bonded at genesis (honest ones alternate between the sides)"),
    "multi-voters": {
      type: "integer",
      default: 2,
      min: 1,
      max: 128,
      description: "validators that sign on both sides (keys on node 0 and on the first node of side B)",
    },
    "partition-epochs": {
      type: "integer",
      default: 3,
      min: 1,
      max: 64,
      description: "epochs the sides build apart",
    },
    "after-epochs": {
      type: "integer",
      default: 4,
      quick: 3,
      min: 1,
      max: 64,
      description: "epochs observed after the heal and the slasher's evidence",
    },
    "leak-after-epochs": {
      type: "integer",
      default: 64,
      min: 1,
      max: 1_000_000,
      description:
        "genesis minEpochsToInactivityPenalty: epochs without finality before the inactivity leak (4 is the chain default; later keeps the leak out of the cost)",
    },
    processes: processesParam(),
  },
  trials: { default: 2, quick: 1 },
  async run(ctx) {
    const nodes = ctx.params.nodes as number;
    const { validators, slotMs, epochSlots } = readPosShape(ctx.params);
    const m = ctx.params["multi-voters"] as number;
    const partitionEpochs = ctx.params["partition-epochs"] as number;
    const afterEpochs = ctx.params["after-epochs"] as number;
    const leakAfter = ctx.params["leak-after-epochs"] as number;
    const honestCount = validators - m;
    if (honestCount < 2)
      throw new ExperimentError("EXPERIMENT_BAD_PARAM", "at least two honest validators are needed");
    const half = Math.floor(nodes / 2);
    const sideA = Array.from({ length: half }, (_, i) => i);
    const sideB = Array.from({ length: nodes - half }, (_, i) => half + i);
    const bNode = sideB[0]!;
    // Honest validator j on side j mod 2 (round-robin over the side's nodes); multi-voters on node 0.
    const placement = Array.from({ length: validators }, (_, j) => {
      if (j >= honestCount) return 0;
      const side = j % 2 === 0 ? sideA : sideB;
      return side[Math.floor(j / 2) % side.length]!;
    });
    const multiVoters = Array.from({ length: m }, (_, k) => honestCount + k);
    const honestOn = (side: number[]) =>
      placement.filter((n, j) => j < honestCount && side.includes(n)).length;
    const shareA = (honestOn(sideA) + m) / validators;
    const shareB = (honestOn(sideB) + m) / validators;
    const points: PointSpec[] = [false, true].map((slashing) => ({
      id: slashing ? "slashing on" : "slashing off",
      coords: { slashing: slashing ? 1 : 0 },
      // The textbook claim: voting on every fork costs nothing without slashing, and is always caught with it.
      predicted: { textbook: slashing ? 1 : 0 },
      primary: "textbook",
    }));
    let chainParams: PosChain | undefined;

    const trial = async (pt: PointSpec, _rng: unknown, index: number): Promise<TrialOutcome> => {
      const slashing = pt.coords.slashing === 1;
      const plan: PosPlan = {
        dir: join(ctx.workDir, `trial-${index}`, "testnet"),
        nodes,
        validators,
        validatorNodes: placement,
        slotMs,
        epochSlots,
        posParams: { slashingEnabled: slashing, minEpochsToInactivityPenalty: leakAfter },
        processes: ctx.params.processes === true,
      };
      const manifest = await generatePosTestnet(plan);
      ctx.log(`trial ${index + 1} (${pt.id}): multi-voters ${multiVoters.join(",")} on nodes 0 and ${bNode}`);
      const net = await startGenerated(ctx, plan);
      try {
        const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
        const chain = await readPosChain(manifest, clients[0]!);
        chainParams = chain;
        const p = chain.params;
        const epochMs = slotMs * p.slotsPerEpoch;
        if (p.slashingEnabled !== slashing)
          throw new ExperimentError("EXPERIMENT_FAILED", "the genesis does not carry the slashing setting");
        await waitForFinalizedEpoch(clients, 1, 40 * epochMs);
        const honestIndices = Array.from({ length: honestCount }, (_, j) => j);
        const stakeStart = await Promise.all(multiVoters.map((v) => readValidator(clients[0]!, v)));
        const holdingsStart = await Promise.all(multiVoters.map((v) => readHoldings(clients[0]!, v)));
        const honestStart = await Promise.all(honestIndices.map((j) => readHoldings(clients[0]!, j)));

        // Split, and load the multi-voters' keys on side B too.
        const fork = await waitForSameHead(clients, 20 * epochMs);
        await net.partition([sideA, sideB]);
        const splitSlot = await clockSlot(clients[0]!);
        const finalizedAtSplit = (await readPosStatus(clients[0]!)).finalized.epoch;
        await copyValidatorKeys(manifest, 0, bNode, multiVoters);
        await clients[bNode]!.call("miner_stop");
        await clients[bNode]!.call("miner_start");
        ctx.log(
          `partitioned at slot ${splitSlot} (fork at height ${fork.height}); both sides sign with the multi-voters`,
        );
        await waitForSlot(
          clients,
          splitSlot + partitionEpochs * p.slotsPerEpoch,
          (partitionEpochs + 4) * epochMs + 20_000,
        );

        // The two branches as each side has them.
        const sides = [sideA, sideB].map((s) => clients[s[0]!]!);
        const heads = await Promise.all(sides.map(readHead));
        const finalizedPerSide = await Promise.all(
          sides.map(async (c) => (await readPosStatus(c)).finalized.epoch),
        );
        const branches = await Promise.all(
          [sideA, sideB].map((s, k) =>
            fetchPosBlocks(chain, net.nodes[s[0]!]!, fork.height + 1, heads[k]!.height),
          ),
        );

        // Heal: how long until one head.
        await net.heal();
        const healAt = Date.now();
        const healSlot = await clockSlot(clients[0]!);
        let converged = true;
        let convergenceMs: number | null = null;
        try {
          await waitForSameHead(clients, (afterEpochs + 4) * epochMs);
          convergenceMs = Date.now() - healAt;
        } catch (err) {
          if (!(err instanceof ExperimentError)) throw err;
          converged = false;
        }
        // The fork is over (or the wait is): the multi-voters go back to one copy.
        await clients[bNode]!.call("miner_stop");
        for (const v of multiVoters)
          await rm(join(net.nodes[bNode]!.dataDir, "validators", `validator-${v}.json`), { force: true });
        await clients[bNode]!.call("miner_start");

        // The slasher: conflicting votes in the two branches' bodies (and the chain since), published as evidence.
        const now = await readHead(clients[0]!);
        const since = await fetchPosBlocks(chain, net.nodes[0]!, fork.height + 1, now.height);
        const found = findSlashableVotes(distinctVotes([...branches[0]!, ...branches[1]!, ...since]));
        const foundIndices = found.map((s) => s.a.validatorIndex);
        const delivered = await publishEvidence(chain, net.nodes[0]!, found, async () => {
          const all = await Promise.all(clients.map(readEvidence));
          return all.every((e) => foundIndices.every((v) => e.evidence.some((r) => r.validatorIndex === v)));
        });
        ctx.log(`slasher: double votes of validators ${foundIndices.join(",") || "none"} published`);

        // Observe: after-epochs epochs, until finality passes the split and (slashing on) what the slasher found is slashed.
        const observeUntil = (await clockSlot(clients[0]!)) + afterEpochs * p.slotsPerEpoch;
        const deadline = Date.now() + (afterEpochs + 6) * epochMs;
        for (;;) {
          const status = await Promise.all(clients.map(readPosStatus));
          const slashedNow = (await readEvidence(clients[0]!)).slashed;
          const caught = !slashing || foundIndices.every((v) => slashedNow.includes(v));
          const resumed = status.every((x) => x.finalized.epoch > finalizedAtSplit);
          if ((status[0]!.slot >= observeUntil && caught && resumed) || Date.now() > deadline) break;
          await sleep(100);
        }
        const end = await Promise.all(clients.map(readPosStatus));
        const evidenceEnd = await Promise.all(clients.map(readEvidence));
        const stakeEnd = await Promise.all(multiVoters.map((v) => readValidator(clients[0]!, v)));
        const holdingsEnd = await Promise.all(multiVoters.map((v) => readHoldings(clients[0]!, v)));
        const honestEnd = await Promise.all(honestIndices.map((j) => readHoldings(clients[0]!, j)));
        const nodesAtEnd = await Promise.all(
          clients.map(async (c, i) => {
            const s = end[i]!;
            const peers = await c.call<unknown[]>("net_peers");
            const heads = [...new Set(end.map((x) => x.headHash))];
            const stored = await Promise.all(
              heads.map((hash) => c.call<unknown>("chain_getBlockByHash", { hash })),
            );
            return {
              storesHeads: stored.filter((b) => b !== null).length,
              head: s.headHash.slice(0, 12),
              height: s.headHeight,
              justified: s.justified.epoch,
              finalized: s.finalized.epoch,
              peers: peers.length,
            };
          }),
        );
        // Each side's chain at the end (one chain if they agree): where the votes after the heal went.
        const endHeads = await Promise.all(sides.map(readHead));
        const endChains = await Promise.all(
          [sideA, sideB].map((s, k) =>
            fetchPosBlocks(chain, net.nodes[s[0]!]!, fork.height + 1, endHeads[k]!.height),
          ),
        );
        const agreeAtEnd = endHeads[0]!.hash === endHeads[1]!.hash;

        // Votes per branch: a block of a side's branch before the heal, or only on that side's chain after it.
        const [endA, endB] = endChains.map((c) => new Set(c.map((b) => b.hash))) as [
          Set<string>,
          Set<string>,
        ];
        const setA = new Set([...branches[0]!.map((b) => b.hash), ...[...endA].filter((h) => !endB.has(h))]);
        const setB = new Set([...branches[1]!.map((b) => b.hash), ...[...endB].filter((h) => !endA.has(h))]);
        const tip = (bs: RawPosBlock[]) => bs[bs.length - 1]?.hash;
        const winner = !agreeAtEnd
          ? "none"
          : tip(branches[0]!) !== undefined && endA.has(tip(branches[0]!)!)
            ? "A"
            : tip(branches[1]!) !== undefined && endA.has(tip(branches[1]!)!)
              ? "B"
              : "none";
        const votes = distinctVotes([...branches[0]!, ...branches[1]!, ...endChains[0]!, ...endChains[1]!]);
        const branchOf = (a: Attestation): "A" | "B" | "common" => {
          const h = toHex(a.data.head);
          return setA.has(h) ? "A" : setB.has(h) ? "B" : "common";
        };
        const perBranch: Record<"A" | "B", BranchVotes> = {
          A: { honest: 0, multiVoter: 0, afterHeal: 0 },
          B: { honest: 0, multiVoter: 0, afterHeal: 0 },
        };
        const sidesVoted = new Map<string, Set<string>>();
        const lastVoteSlot: Record<"A" | "B", number | undefined> = { A: undefined, B: undefined };
        for (const a of votes) {
          const b = branchOf(a);
          if (b === "common") continue;
          const mv = multiVoters.includes(a.validatorIndex);
          perBranch[b][mv ? "multiVoter" : "honest"]++;
          if (a.data.slot >= healSlot) perBranch[b].afterHeal++;
          const key = `${a.validatorIndex}:${a.data.target.epoch}`;
          sidesVoted.set(key, new Set([...(sidesVoted.get(key) ?? []), b]));
          if (lastVoteSlot[b] === undefined || a.data.slot > lastVoteSlot[b]!) lastVoteSlot[b] = a.data.slot;
        }
        // How long after the heal a branch still received (included) votes.
        const votedAfterHealMs = (b: "A" | "B") => {
          const last = lastVoteSlot[b];
          return last === undefined || last < healSlot ? 0 : (last - healSlot + 1) * slotMs;
        };
        const bothSides = [...sidesVoted]
          .filter(([, s]) => s.size === 2)
          .map(([k]) => Number(k.split(":")[0]));
        const cost = multiVoters.map((_, k) => holdingsStart[k]! - holdingsEnd[k]!);
        const totalCost = cost.reduce((s, x) => s + x, 0n);
        const slashedMv = multiVoters.filter((v) => evidenceEnd[0]!.slashed.includes(v));
        const expectedInitial = slashedMv.reduce((s, v) => {
          const k = multiVoters.indexOf(v);
          return (
            s + expectedSlash(expectedEffective(stakeStart[k]!.stake, p), stakeStart[k]!.stake, p).penalty
          );
        }, 0n);
        const withdrawable = stakeEnd.map((v) => v.withdrawableEpoch);
        const correlationEpochs = withdrawable.map((w) =>
          w === null ? null : w - Math.floor(p.slashingsWindowEpochs / 2),
        );
        const endEpoch = Math.floor(end[0]!.headSlot / p.slotsPerEpoch);
        const correlationReached = correlationEpochs.some((e) => e !== null && endEpoch > e);
        const minFinalEnd = Math.min(...end.map((s) => s.finalized.epoch));
        return {
          success: totalCost > 0n,
          data: {
            slashing,
            multiVoters,
            sideShares: { A: shareA, B: shareB },
            sideCanFinalizeAlone: { A: 3 * shareA >= 2, B: 3 * shareB >= 2 },
            forkHeight: fork.height,
            splitSlot,
            healSlot,
            branchBlocks: { A: branches[0]!.length, B: branches[1]!.length },
            branchTipSlots: {
              A: branches[0]!.map(slotOf).pop() ?? null,
              B: branches[1]!.map(slotOf).pop() ?? null,
            },
            forked: branches[0]!.length > 0 && branches[1]!.length > 0,
            finalizedAtSplit,
            finalizedPerSideAtHeal: { A: finalizedPerSide[0], B: finalizedPerSide[1] },
            converged,
            convergenceMs,
            winner,
            votedAfterHealMs: { A: votedAfterHealMs("A"), B: votedAfterHealMs("B") },
            losingVotesAfterHealMs: winner === "none" ? null : votedAfterHealMs(winner === "A" ? "B" : "A"),
            agreeAtEnd,
            votesPerBranch: perBranch,
            doubleVoters: [...new Set(bothSides)].sort((a, b) => a - b),
            doubleVotes: bothSides.length,
            honestDoubleVotes: bothSides.filter((v) => !multiVoters.includes(v)).length,
            slasherFound: foundIndices,
            slasherDelivered: delivered,
            evidenceOnNodes: evidenceEnd.map((e) =>
              [...new Set(e.evidence.map((r) => r.validatorIndex))].sort((a, b) => a - b),
            ),
            slashedOnNodes: evidenceEnd.map((e) => e.slashed),
            stakeStart: stakeStart.map((v) => v.stake.toString()),
            stakeEnd: stakeEnd.map((v) => v.stake.toString()),
            costPerMultiVoter: cost.map(String),
            multiVoterCost: totalCost.toString(),
            expectedInitialPenalties: expectedInitial.toString(),
            correlationEpochs,
            correlationReached,
            // A multi-voter can still earn attestation rewards between the first penalty (which fills the pool) and its own slashing.
            attestationReward: p.attestationReward.toString(),
            epochsAfterHeal: endEpoch - Math.floor(healSlot / p.slotsPerEpoch),
            // The honest validators' stakes move too (rewards, a leak): the baseline the cost compares with.
            honestCostPerValidator: (
              (honestStart.reduce((s, v) => s + v, 0n) - honestEnd.reduce((s, v) => s + v, 0n)) /
              BigInt(honestCount)
            ).toString(),
            finalizedEnd: end.map((s) => s.finalized.epoch),
            finalityResumed: minFinalEnd > finalizedAtSplit,
            headsAtEnd: [...new Set(end.map((s) => s.headHash))].length,
            nodesAtEnd,
          },
        };
      } finally {
        await net.stop();
      }
    };

    const records = await ctx.trialLoop(points, ctx.trials, trial);
    const of = (slashing: boolean) => records.filter((r) => r.data.slashing === slashing);
    const summary = (slashing: boolean) => {
      const rs = of(slashing);
      const nums = (k: string) => rs.map((r) => r.data[k]).filter((x): x is number => typeof x === "number");
      const mean = (xs: number[]) =>
        xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
      const sumVotes = (b: "A" | "B", k: keyof BranchVotes) =>
        rs.reduce((s, r) => s + (r.data.votesPerBranch as Record<"A" | "B", BranchVotes>)[b][k], 0);
      return {
        trials: rs.length,
        forked: rs.filter((r) => r.data.forked).length,
        converged: rs.filter((r) => r.data.converged).length,
        splitAtEnd: rs.filter((r) => !r.data.agreeAtEnd).length,
        meanConvergenceMs: mean(nums("convergenceMs")),
        meanLosingVotesAfterHealMs: mean(nums("losingVotesAfterHealMs")),
        votesA: {
          honest: sumVotes("A", "honest"),
          multiVoter: sumVotes("A", "multiVoter"),
          afterHeal: sumVotes("A", "afterHeal"),
        },
        votesB: {
          honest: sumVotes("B", "honest"),
          multiVoter: sumVotes("B", "multiVoter"),
          afterHeal: sumVotes("B", "afterHeal"),
        },
        doubleVotes: rs.reduce((s, r) => s + (r.data.doubleVotes as number), 0),
        honestDoubleVotes: rs.reduce((s, r) => s + (r.data.honestDoubleVotes as number), 0),
        multiVoterCost: rs.reduce((s, r) => s + BigInt(r.data.multiVoterCost as string), 0n).toString(),
        honestCostPerValidator: rs
          .reduce((s, r) => s + BigInt(r.data.honestCostPerValidator as string), 0n)
          .toString(),
        expectedInitialPenalties: rs
          .reduce((s, r) => s + BigInt(r.data.expectedInitialPenalties as string), 0n)
          .toString(),
        slashedTrials: rs.filter((r) => (r.data.slashedOnNodes as number[][])[0]!.length > 0).length,
        finalityResumed: rs.filter((r) => r.data.finalityResumed).length,
      };
    };
    const off = summary(false);
    const on = summary(true);
    ctx.metric("slashingOff", off);
    ctx.metric("slashingOn", on);
    // Per trial, one series per column: what the strategy cost, and how long the fork lived.
    const perTrial = (y: (r: (typeof records)[number]) => number | undefined) =>
      [false, true].flatMap((slashing) =>
        of(slashing).flatMap((r, i) => {
          const v = y(r);
          return v === undefined
            ? []
            : [
                {
                  x: i + 1,
                  y: v,
                  lo: v,
                  hi: v,
                  series: slashing ? "slashing on" : "slashing off",
                  trials: 1,
                },
              ];
        }),
      );
    ctx.chart({
      file: "nothing-at-stake-cost",
      title: "Nothing at stake: what voting on both forks cost the multi-voters (coins, per trial)",
      xTitle: "trial",
      yTitle: "stake lost by the multi-voters (coins)",
      seriesTitle: "genesis",
      linearY: true,
      theory: [],
      measured: perTrial((r) => Number(BigInt(r.data.multiVoterCost as string)) / 1e8),
    });
    ctx.chart({
      file: "nothing-at-stake-fork",
      title: "Nothing at stake: fork lifetime after the heal until every node has one head (ms, per trial)",
      xTitle: "trial",
      yTitle: "heal to one head (ms)",
      seriesTitle: "genesis",
      linearY: true,
      theory: [],
      measured: perTrial((r) =>
        typeof r.data.convergenceMs === "number" ? r.data.convergenceMs : undefined,
      ),
    });
    const p = chainParams?.params;
    const perOffender =
      p === undefined ? 0n : expectedSlash(expectedEffective(p.minStake, p), p.minStake, p).penalty;
    const row = (label: string, f: (s: typeof off) => unknown) => `| ${label} | ${f(off)} | ${f(on)} |`;
    const ms = (x: number | null) => (x === null ? "-" : `${x} ms`);
    ctx.note(
      [
        "| per column (all trials) | slashing off | slashing on |",
        "| --- | --- | --- |",
        row("trials (forked / converged)", (s) => `${s.trials} (${s.forked} / ${s.converged})`),
        row("mean time to one head after the heal", (s) => ms(s.meanConvergenceMs)),
        row("mean last vote for the losing branch after the heal", (s) => ms(s.meanLosingVotesAfterHealMs)),
        row("trials still on two heads at the end", (s) => s.splitAtEnd),
        row(
          "votes for branch A (honest / multi-voter / after heal)",
          (s) => `${s.votesA.honest} / ${s.votesA.multiVoter} / ${s.votesA.afterHeal}`,
        ),
        row(
          "votes for branch B (honest / multi-voter / after heal)",
          (s) => `${s.votesB.honest} / ${s.votesB.multiVoter} / ${s.votesB.afterHeal}`,
        ),
        row(
          "double votes (validator and epoch on both branches; honest)",
          (s) => `${s.doubleVotes} (${s.honestDoubleVotes})`,
        ),
        row("trials with the multi-voters slashed", (s) => s.slashedTrials),
        row("stake the strategy cost the multi-voters (coins)", (s) => coins(BigInt(s.multiVoterCost))),
        row("initial penalties the genesis parameters predict (coins)", (s) =>
          coins(BigInt(s.expectedInitialPenalties)),
        ),
        row("stake an honest validator lost, for comparison (coins)", (s) =>
          coins(BigInt(s.honestCostPerValidator)),
        ),
        row("trials where finality resumed past the split", (s) => s.finalityResumed),
      ].join("\n"),
    );
    ctx.note(
      [
        `**Design.** ${nodes} ${ctx.params.processes === true ? "child-process" : "in-process"} PoS nodes, ${validators} validators of equal stake, slots of ${slotMs} ms, ${epochSlots}-slot epochs. Side A is nodes ${sideA.join(", ")}, side B nodes ${sideB.join(", ")}; honest validators alternate between the sides, and the ${m} multi-voters (validators ${multiVoters.join(", ")}) sit on node 0 and, from the split until one head after the heal, also on node ${bNode}: each copy has its own slashing-protection DB, so each signs its own side's proposals and votes. With the multi-voters side A holds ${(shareA * 100).toFixed(1)}% of the stake and side B ${(shareB * 100).toFixed(1)}% (2/3 finalizes alone: A ${3 * shareA >= 2 ? "yes" : "no"}, B ${3 * shareB >= 2 ? "yes" : "no"}). Each trial: a fresh testnet finalizes epoch 1, the sides are partitioned for ${partitionEpochs} epochs, the partition heals, and the nodes are watched for ${afterEpochs} more epochs.`,
        `The inactivity leak starts after ${leakAfter} epochs without finality (genesis minEpochsToInactivityPenalty; the chain default is 4), so that ${leakAfter > partitionEpochs + afterEpochs + 4 ? "no leak moves stakes in these runs and the cost is the strategy's alone" : "the leak also moves stakes in these runs (honest validators of the losing side leak; the multi-voters, whose votes count on every branch, do not)"}.`,
        "**Measurements.** Fork lifetime: from the heal until every node reports the same head hash, and until the slot of the last vote for a block of each branch found in the blocks (both branches before the heal, each side's chain at the end); a vote can only be included on a chain whose checkpoint it names, so votes for the losing branch cast after the heal show only while that branch still grows. Votes per branch: the distinct attestations in the bodies of both branches and of the converged chain, by the branch of the block they vote for. Double votes: a validator with votes for blocks of both branches in one target epoch. The nodes compare gossip with gossip, not with bodies they import, so the scenario plays the slasher (as a slasher service indexes every body): it checks all body votes with the node's own `isSlashableAttestationData` (consensus/pos/audit.ts) and publishes what it finds on the evidence gossip topic, in both columns. Cost: what the multi-voters own at the start (stake plus the balance of the withdrawal address, pos_validator and account_get) minus at the end.",
        `**Theory.** Without slashing, signing on every fork is free and dominant: it guarantees the validator's votes count on whichever branch wins (no inactivity leak, no lost rewards), which is the nothing-at-stake problem. With slashing, two votes for one target epoch are a proof anyone holding both branches can publish: each multi-voter loses the initial penalty effective / ${p?.minSlashingPenaltyQuotient ?? "?"} = ${coins(perOffender)} coins at once and is ejected, and later the correlation penalty (proportional to all stake slashed in the ${p?.slashingsWindowEpochs ?? "?"}-epoch window), at withdrawable epoch − ${Math.floor((p?.slashingsWindowEpochs ?? 0) / 2)}${records.some((r) => r.data.correlationReached) ? "" : ", after the end of these runs"}. The fork choice drops an equivocator's votes in both columns, so convergence itself does not depend on slashing; what slashing changes is the price.`,
      ].join(" "),
    );
  },
});
