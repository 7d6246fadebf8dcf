/**
 * finality-attack (PoS): validators holding stake share s try to finalize two conflicting
 * checkpoints. Their keys are loaded on one node on each side of a partition (each copy with its
 * own slashing-protection DB, so each signs for its side: double votes across the partition); the
 * honest validators are split evenly between the sides. No inactivity leak, so a side finalizes
 * only with 2/3 of the stake voting on it. After the sides have finalized (or a deadline), the
 * votes included in each side's blocks are collected, pairs of votes by one validator that are
 * slashable (double or surround) are found and their signatures re-verified with node:crypto:
 * Casper FFG's accountable safety says any conflicting finality comes with >= 1/3 of the stake
 * provably slashable.
 */
import { readPosStatus } from "../adversary/index.ts";
import { readPosChain } from "../adversary/pos-chain.ts";
import {
  commonHeight,
  finalizedConflict,
  findSlashablePairs,
  proveSlashableStake,
  votesAbove,
  watchSides,
} from "../adversary/pos-fork.ts";
import { defineScenario, type ParamSpec, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { wilsonInterval } from "../stats/index.ts";
import { processesParam } from "./options.ts";
import { startPosTestnet } from "./testnet.ts";

/** The split of `n` validators for attacker share s: attackers, honest on side A, honest on side B. */
export function attackSplit(n: number, s: number): { k: number; hA: number; hB: number } {
  const k = Math.round(s * n);
  const h = n - k;
  const hA = Math.ceil(h / 2);
  return { k, hA, hB: h - hA };
}

/** FFG: a side justifies (and then finalizes) only with 3 × its voting stake >= 2 × the total. */
export function conflictingFinalityPossible(n: number, s: number): boolean {
  const { k, hA, hB } = attackSplit(n, s);
  return 3 * (k + hA) >= 2 * n && 3 * (k + hB) >= 2 * n;
}

/** The slot and epoch options of the PoS scenarios (500 ms slots, 300 in --quick; 4-slot epochs). */
export function posClockParams(): Record<string, ParamSpec> {
  return {
    "slot-ms": {
      type: "integer",
      default: 500,
      quick: 300,
      min: 100,
      max: 10_000,
      description: "slot length (ms)",
    },
    "epoch-slots": {
      type: "integer",
      default: 4,
      quick: 4,
      min: 2,
      max: 32,
      description: "slots per epoch",
    },
  };
}

const SIDE_A = [0, 1];
const SIDE_B = [2, 3];

export default defineScenario({
  name: "finality-attack",
  description:
    "PoS: validators with stake share s vote on both sides of a partition to finalize conflicting checkpoints; whether it happens (FFG: iff each side's s + honest share >= 2/3), and the stake provably slashable from the two chains' votes (accountable safety: >= 1/3 whenever it happens), signatures re-verified outside the node",
  params: {
    s: {
      type: "numbers",
      default: [0.1, 0.2, 0.3, 0.34, 0.4],
      quick: [0.2, 0.4],
      min: 0,
      max: 0.6,
      description: "stake shares of the double-voting validators",
    },
    validators: {
      type: "integer",
      default: 50,
      quick: 10,
      min: 6,
      max: 200,
      description: "validators bonded at genesis, equal stakes (the attacker holds round(s × validators))",
    },
    ...posClockParams(),
    "partition-epochs": {
      type: "integer",
      default: 10,
      quick: 8,
      min: 3,
      max: 200,
      description: "epochs the sides stay apart at most (they stop earlier once both finalized)",
    },
    processes: processesParam(),
  },
  trials: { default: 1, quick: 1 },
  async run(ctx) {
    const shares = ctx.params.s as readonly number[];
    const n = ctx.params.validators as number;
    const slotMs = ctx.params["slot-ms"] as number;
    const epochSlots = ctx.params["epoch-slots"] as number;
    const partitionEpochs = ctx.params["partition-epochs"] as number;
    const epochMs = slotMs * epochSlots;
    const points: PointSpec[] = shares.map((s) => ({
      id: `s=${s}`,
      coords: { s },
      predicted: { ffg: conflictingFinalityPossible(n, s) ? 1 : 0 },
      primary: "ffg",
    }));

    const trial = async (pt: PointSpec): Promise<TrialOutcome> => {
      const s = pt.coords.s!;
      const { k, hA, hB } = attackSplit(n, s);
      // Attackers 0..k-1 on node 0 (and a copy on node 2); honest A on nodes 0,1; honest B on nodes 2,3.
      const placement: number[] = [];
      for (let j = 0; j < n; j++) {
        if (j < k) placement.push(0);
        else if (j < k + hA) placement.push(j - k < Math.ceil(hA / 2) ? 0 : 1);
        else placement.push(j - k - hA < Math.ceil(hB / 2) ? 2 : 3);
      }
      const alsoOn = Object.fromEntries(Array.from({ length: k }, (_, j) => [j, [2]]));
      ctx.log(`s=${s}: ${k} double-voting validators of ${n}, honest ${hA} | ${hB}`);
      const net = await startPosTestnet(ctx, {
        nodes: 4,
        validators: n,
        validatorNodes: placement,
        alsoOn,
        slotMs,
        epochSlots,
        // No leak: a side finalizes only with 2/3 voting. On-chain slashing off: the two copies of
        // the attacker's keys double-sign while the nodes are still connected, and evidence would
        // eject them before the partition; accountability is proven off-chain from the two chains.
        posParams: { slashingEnabled: false, minEpochsToInactivityPenalty: 1_000_000 },
        processes: ctx.params.processes === true,
      });
      try {
        const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
        await net.partition([SIDE_A, SIDE_B]);
        const atSplit = await Promise.all(clients.map(readPosStatus));
        const splitEpoch = Math.max(...atSplit.map((x) => x.epoch));
        const finalizedAtSplit = Math.max(...atSplit.map((x) => x.finalized.epoch));
        const [a, b] = await watchSides(
          [clients[SIDE_A[0]!]!, clients[SIDE_B[0]!]!],
          finalizedAtSplit,
          splitEpoch + partitionEpochs,
          (partitionEpochs + 4) * epochMs + 30_000,
        );
        const stA = a!.status;
        const stB = b!.status;
        const finalizedA = stA.finalized.epoch > finalizedAtSplit;
        const finalizedB = stB.finalized.epoch > finalizedAtSplit;
        const conflicting =
          finalizedA &&
          finalizedB &&
          (await finalizedConflict(
            { client: clients[SIDE_A[0]!]!, finalized: stA.finalized },
            { client: clients[SIDE_B[0]!]!, finalized: stB.finalized },
          ));
        // The evidence: votes included in each side's blocks above the fork.
        const genesis = await readPosChain(net.manifest, clients[0]!);
        const [headA, headB] = [stA.headHeight, stB.headHeight];
        const fork = await commonHeight(clients[SIDE_A[0]!]!, clients[SIDE_B[0]!]!, Math.min(headA, headB));
        const votesA = await votesAbove(genesis, net.nodes[SIDE_A[0]!]!, fork, headA);
        const votesB = await votesAbove(genesis, net.nodes[SIDE_B[0]!]!, fork, headB);
        const pairs = findSlashablePairs(votesA, votesB);
        const proof = proveSlashableStake(pairs, genesis);
        const provenShare = Number((proof.provenStake * 10_000n) / proof.totalStake) / 10_000;
        const honestSlashable = proof.proven.filter((i) => i >= k);
        return {
          success: conflicting,
          data: {
            s,
            validators: n,
            attackers: k,
            attackerShare: k / n,
            honestA: hA,
            honestB: hB,
            shareVotingA: (k + hA) / n,
            shareVotingB: (k + hB) / n,
            possible: conflictingFinalityPossible(n, s),
            splitEpoch,
            finalizedAtSplit,
            finalizedA: stA.finalized,
            finalizedB: stB.finalized,
            finalizedAgainAtEpochA: a!.refinalizedAtEpoch ?? null,
            finalizedAgainAtEpochB: b!.refinalizedAtEpoch ?? null,
            conflicting,
            forkHeight: fork,
            headA,
            headB,
            votesA: votesA.length,
            votesB: votesB.length,
            slashablePairs: pairs.length,
            doubleVotes: pairs.filter((p) => p.kind === "double").length,
            surroundVotes: pairs.filter((p) => p.kind === "surround").length,
            provenSlashable: proof.proven,
            unproven: proof.unproven,
            honestSlashable,
            provenStake: proof.provenStake.toString(),
            totalStake: proof.totalStake.toString(),
            provenShare,
            accountable: !conflicting || 3n * proof.provenStake >= proof.totalStake,
          },
        };
      } finally {
        await net.stop();
      }
    };

    const records = await ctx.trialLoop(points, ctx.trials, trial);
    const byShare = shares.map((s) => {
      const mine = records.filter((r) => r.data.s === s);
      const hits = mine.filter((r) => r.success).length;
      const ci = wilsonInterval(hits, mine.length);
      return {
        s,
        attackerShare: attackSplit(n, s).k / n,
        theoryPossible: conflictingFinalityPossible(n, s),
        trials: mine.length,
        conflicting: hits,
        rate: ci.estimate,
        lo: ci.lo,
        hi: ci.hi,
        minProvenShare: Math.min(...mine.map((r) => r.data.provenShare as number)),
        accountableAll: mine.every((r) => r.data.accountable === true),
        honestSlashable: mine.reduce((x, r) => x + (r.data.honestSlashable as number[]).length, 0),
      };
    });
    ctx.metric("byShare", byShare);
    ctx.note(finalityTable(byShare));
    ctx.metric("violations", {
      conflictBelowThird: records.filter((r) => r.success && (r.data.attackerShare as number) < 1 / 3).length,
      conflictWithoutAccountability: records.filter((r) => r.data.accountable !== true).length,
    });
    const grid = Array.from({ length: 61 }, (_, i) => i / 100);
    ctx.chart({
      file: "finality-attack",
      title: "Conflicting finality vs the double-voting stake share (real chainlab PoS nodes)",
      xTitle: "stake share s of the double-voting validators",
      yTitle: "P(conflicting checkpoints finalized)",
      seriesTitle: "series",
      theory: grid.map((s) => ({
        x: s,
        y: conflictingFinalityPossible(n, s) ? 1 : 0,
        series: "FFG: s + honest share ≥ 2/3 on both sides",
      })),
      measured: points.map((p) => {
        const mine = records.filter((r) => r.point === p.id);
        const ci = wilsonInterval(mine.filter((r) => r.success).length, mine.length);
        return {
          x: p.coords.s!,
          y: ci.estimate,
          lo: ci.lo,
          hi: ci.hi,
          series: "FFG: s + honest share ≥ 2/3 on both sides",
          trials: mine.length,
        };
      }),
      rules: [{ x: 1 / 3, label: "1/3" }],
    });
    ctx.chart({
      file: "finality-attack-slashable",
      title: "Stake provably slashable from the two chains' votes (re-verified with node:crypto)",
      xTitle: "stake share s of the double-voting validators",
      yTitle: "slashable share of the total stake",
      seriesTitle: "series",
      theory: grid.map((s) => ({ x: s, y: attackSplit(n, s).k / n, series: "the double voters' stake" })),
      measured: records.map((r) => ({
        x: r.data.s as number,
        y: r.data.provenShare as number,
        lo: r.data.provenShare as number,
        hi: r.data.provenShare as number,
        series: "the double voters' stake",
        trials: 1,
      })),
      rules: [{ x: 1 / 3, label: "1/3" }],
    });
    ctx.note(
      [
        `**Design.** ${n} validators of equal stake on 4 in-process nodes; slots of ${slotMs} ms, ${epochSlots}-slot epochs. The round(s × ${n}) attacking validators' keys are loaded on node 0 (side A) and node 2 (side B), each copy with its own slashing-protection DB; the honest validators are split evenly, side A (nodes 0, 1) taking the odd one. The sides are partitioned right after start and kept apart until both finalized past the epoch finalized at the split, or for ${partitionEpochs} epochs.`,
        "Genesis has no inactivity leak (minEpochsToInactivityPenalty = 10⁶), so a side finalizes only with 2/3 of the stake voting on it, and on-chain slashing off: the two copies double-sign while the nodes are still connected, and the evidence would eject the attackers before the partition. Accountability is what the theorem is about, and it is proven off-chain.",
        "**Evidence.** The canonical blocks of each side above the fork are fetched raw over blocks_by_range by a short-lived peer and decoded with the node's codecs; for every validator with votes on both chains, a pair is slashable when is_slashable_attestation_data holds (double vote: same target epoch, different data; or surround). Both signatures of each pair are re-verified with node:crypto's ed25519 against the genesis key over the attestation signing root (genesis config hash as domain). The slashable share is the proven stake over the total.",
        "**Theory.** FFG justifies a checkpoint with 3 × voting stake ≥ 2 × total: each side finalizes iff s + its honest share ≥ 2/3 (with an even split: s ≥ 1/3 up to rounding). Casper FFG's accountable safety (theorem 1): two conflicting finalized checkpoints imply ≥ 1/3 of the stake slashable. The conflict check: both sides finalized past the split and neither side knows the other's finalized block.",
      ].join(" "),
    );
  },
});

/** One row per share: the outcome against FFG's threshold and what the two chains' votes prove. */
function finalityTable(
  rows: readonly {
    s: number;
    attackerShare: number;
    theoryPossible: boolean;
    trials: number;
    conflicting: number;
    minProvenShare: number;
    accountableAll: boolean;
    honestSlashable: number;
  }[],
): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    "| s | attacker's share (whole validators) | conflicting finality possible (FFG) | trials with conflicting finality | least stake provably slashable in a trial | accountable (≥ 1/3 slashable whenever it happened) | honest validators slashable |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.s} | ${pct(r.attackerShare)} | ${r.theoryPossible ? "yes" : "no"} | ${r.conflicting} of ${r.trials} | ${pct(r.minProvenShare)} | ${r.accountableAll ? "yes" : "NO"} | ${r.honestSlashable} |`,
    ),
  ].join("\n");
}
