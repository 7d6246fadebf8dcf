/**
 * inactivity-leak (PoS): a long partition into validator shares p and 1 − p. Neither side has 2/3
 * of the stake, so finality stalls; once it is more than minEpochsToInactivityPenalty epochs
 * behind, each side's chain drains the validators absent from it until the present ones hold 2/3
 * and that side finalizes again. Measured per side: the epochs until it finalizes again, the
 * stake the absent validators lost on that side's own chain, and whether the two sides finalized
 * conflicting checkpoints with no slashable offence (the leak's known limit); against the
 * epochs and losses the genesis formulas predict (iterated in expectLeak). After the heal, what
 * each node does: which chain it follows, whether it keeps proposing, what consensus_status says.
 */
import type { PosParams } from "../../consensus/pos/audit.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { pollUntil, readPosStatus, waitForFinalizedEpoch } from "../adversary/index.ts";
import { readPosChain } from "../adversary/pos-chain.ts";
import {
  commonHeight,
  expectLeak,
  finalizedConflict,
  findSlashablePairs,
  knowsBlock,
  splitAtEpochStart,
  sumStake,
  votesAbove,
  watchSides,
} from "../adversary/pos-fork.ts";
import { coins } from "../report/units.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { posClockParams } from "./finality-attack.ts";
import { processesParam } from "./options.ts";
import { startPosTestnet } from "./testnet.ts";

const SIDE_A = [0, 1];
const SIDE_B = [2, 3];

/** What consensus_status says of one node after the heal (the fields read here). */
interface NodeAfterHeal {
  node: number;
  side: "A" | "B";
  finalizedEpoch: number;
  /** Whose finalized chain it follows: A's, B's, or the common one before the split. */
  follows: "A" | "B" | "common";
  headSlotAdvanced: number;
  proposedSinceHeal: number;
  finalityConflict: unknown;
}

async function proposedCount(c: RpcClient): Promise<number> {
  const s = await c.call<{ validator?: { proposed?: number } }>("consensus_status");
  return s.validator?.proposed ?? 0;
}

async function stakesOf(c: RpcClient, indices: readonly number[]): Promise<bigint[]> {
  return Promise.all(
    indices.map(async (index) => BigInt((await c.call<{ stake: string }>("pos_validator", { index })).stake)),
  );
}

export default defineScenario({
  name: "inactivity-leak",
  description:
    "PoS: a long partition into stake shares p | 1 − p; epochs until each side finalizes again as the inactivity leak drains the absent side, the stake each side's chain took from the absent validators, and conflicting finality without any slashable offence, against the leak formula iterated from genesis; then what every node does after the heal",
  params: {
    p: {
      type: "numbers",
      default: [0.6, 0.5],
      quick: [0.6],
      min: 0.05,
      max: 0.95,
      description: "stake share of side A (side B holds 1 − p)",
    },
    validators: {
      type: "integer",
      default: 20,
      quick: 10,
      min: 4,
      max: 200,
      description: "validators bonded at genesis, equal stakes (side A holds round(p × validators))",
    },
    ...posClockParams(),
    "penalty-quotient": {
      type: "integer",
      default: 16,
      quick: 16,
      min: 1,
      max: 1 << 26,
      description: "genesis inactivityPenaltyQuotient (small: a fast leak; mainnet-like is 2^24 or more)",
    },
    "min-epochs": {
      type: "integer",
      default: 1,
      quick: 1,
      min: 1,
      max: 1000,
      description: "genesis minEpochsToInactivityPenalty (finality delay before the leak starts)",
    },
    "partition-epochs": {
      type: "integer",
      default: 40,
      quick: 25,
      min: 4,
      max: 1000,
      description: "epochs the sides stay apart at most (they heal earlier once both finalized)",
    },
    "heal-epochs": {
      type: "integer",
      default: 3,
      quick: 2,
      min: 1,
      max: 100,
      description: "epochs watched after the heal",
    },
    processes: processesParam(),
  },
  trials: { default: 1, quick: 1 },
  async run(ctx) {
    const shares = ctx.params.p as readonly number[];
    const n = ctx.params.validators as number;
    const slotMs = ctx.params["slot-ms"] as number;
    const epochSlots = ctx.params["epoch-slots"] as number;
    const quotient = ctx.params["penalty-quotient"] as number;
    const minEpochs = ctx.params["min-epochs"] as number;
    const partitionEpochs = ctx.params["partition-epochs"] as number;
    const healEpochs = ctx.params["heal-epochs"] as number;
    const epochMs = slotMs * epochSlots;
    const sideSize = (p: number) => Math.min(n - 1, Math.max(1, Math.round(p * n)));
    const points: PointSpec[] = shares.map((p) => ({
      id: `p=${p}`,
      coords: { p },
      // Both sides finalize (conflicting) once the leak has run long enough: the primary "model"
      // is the expectation that it happens within the partition (filled in per trial's data).
      predicted: { leak: 1 },
      primary: "leak",
    }));

    let chartGenesis: PosParams | undefined;
    const trial = async (pt: PointSpec): Promise<TrialOutcome> => {
      const p = pt.coords.p!;
      const a = sideSize(p);
      const inA = (j: number) => j < a;
      const placement = Array.from({ length: n }, (_, j) =>
        inA(j) ? (j < Math.ceil(a / 2) ? 0 : 1) : j - a < Math.ceil((n - a) / 2) ? 2 : 3,
      );
      ctx.log(`p=${p}: ${a} | ${n - a} validators, inactivityPenaltyQuotient ${quotient}`);
      const net = await startPosTestnet(ctx, {
        nodes: 4,
        validators: n,
        validatorNodes: placement,
        slotMs,
        epochSlots,
        posParams: { inactivityPenaltyQuotient: quotient, minEpochsToInactivityPenalty: minEpochs },
        processes: ctx.params.processes === true,
      });
      try {
        const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
        const ca = clients[SIDE_A[0]!]!;
        const cb = clients[SIDE_B[0]!]!;
        await waitForFinalizedEpoch(clients, 1, 30 * epochMs + 30_000);
        const genesis = await readPosChain(net.manifest, clients[0]!);
        const split = await splitAtEpochStart(net, genesis, clients, [SIDE_A, SIDE_B]);
        const { splitEpoch, finalizedAtSplit } = split;
        chartGenesis ??= genesis.params;
        const indicesA = Array.from({ length: a }, (_, j) => j);
        const indicesB = Array.from({ length: n - a }, (_, j) => a + j);
        const expectA = expectLeak(
          genesis.params,
          Array.from({ length: n }, (_, j) => inA(j)),
          splitEpoch,
          finalizedAtSplit,
        );
        const expectB = expectLeak(
          genesis.params,
          Array.from({ length: n }, (_, j) => !inA(j)),
          splitEpoch,
          finalizedAtSplit,
        );
        ctx.log(
          `split at epoch ${splitEpoch}; expected to finalize again by epoch ${expectA.finalizedByEpoch ?? "never"} (A) and ${expectB.finalizedByEpoch ?? "never"} (B)`,
        );
        const [wa, wb] = await watchSides(
          [ca, cb],
          finalizedAtSplit,
          splitEpoch + partitionEpochs,
          (partitionEpochs + 4) * epochMs + 60_000,
        );
        const stA = wa!.status;
        const stB = wb!.status;
        // The losses are read now, at the clock's epoch: the model runs to the same epoch.
        const readAt = Math.max(stA.epoch, stB.epoch);
        const presentA = Array.from({ length: n }, (_, j) => inA(j));
        const lossA = expectLeak(genesis.params, presentA, splitEpoch, finalizedAtSplit, readAt).absentLoss;
        const lossB = expectLeak(
          genesis.params,
          presentA.map((x) => !x),
          splitEpoch,
          finalizedAtSplit,
          readAt,
        ).absentLoss;
        // Each side's chain: what the validators absent from it lost there.
        const genesisStake = (ix: number[]) => sumStake(ix.map((i) => genesis.params.validators[i]!.stake));
        const lostOnA = genesisStake(indicesB) - sumStake(await stakesOf(ca, indicesB));
        const lostOnB = genesisStake(indicesA) - sumStake(await stakesOf(cb, indicesA));
        const presentChangeA = sumStake(await stakesOf(ca, indicesA)) - genesisStake(indicesA);
        const presentChangeB = sumStake(await stakesOf(cb, indicesB)) - genesisStake(indicesB);
        const bothFinalized = wa!.refinalizedAtEpoch !== undefined && wb!.refinalizedAtEpoch !== undefined;
        const conflicting =
          bothFinalized &&
          (await finalizedConflict(
            { client: ca, finalized: stA.finalized },
            { client: cb, finalized: stB.finalized },
          ));
        const fork = await commonHeight(ca, cb, Math.min(stA.headHeight, stB.headHeight));
        const pairs = findSlashablePairs(
          await votesAbove(genesis, net.nodes[SIDE_A[0]!]!, fork, stA.headHeight),
          await votesAbove(genesis, net.nodes[SIDE_B[0]!]!, fork, stB.headHeight),
        );

        // The heal: who follows which finalized chain, and does everyone keep proposing?
        const before = await Promise.all(clients.map(readPosStatus));
        const proposedBefore = await Promise.all(clients.map(proposedCount));
        await net.heal();
        const healEpoch = Math.max(...before.map((x) => x.epoch));
        await pollUntil(
          `epoch ${healEpoch + healEpochs} after the heal`,
          async () => ((await readPosStatus(ca)).epoch >= healEpoch + healEpochs ? true : undefined),
          (healEpochs + 2) * epochMs + 30_000,
          200,
        );
        const afterHeal: NodeAfterHeal[] = [];
        for (const [i, c] of clients.entries()) {
          const raw = await c.call<{ finalityConflict?: unknown }>("consensus_status");
          const st = await readPosStatus(c);
          const onA = await knowsBlock(ca, st.finalized.root);
          const onB = await knowsBlock(cb, st.finalized.root);
          afterHeal.push({
            node: i,
            side: SIDE_A.includes(i) ? "A" : "B",
            finalizedEpoch: st.finalized.epoch,
            follows: onA && onB ? "common" : onA ? "A" : "B",
            headSlotAdvanced: st.headSlot - before[i]!.headSlot,
            proposedSinceHeal: (await proposedCount(c)) - proposedBefore[i]!,
            finalityConflict: raw.finalityConflict ?? null,
          });
        }
        const heads = await Promise.all(clients.map(readPosStatus));
        const measuredA = wa!.refinalizedAtEpoch === undefined ? null : wa!.refinalizedAtEpoch - splitEpoch;
        const measuredB = wb!.refinalizedAtEpoch === undefined ? null : wb!.refinalizedAtEpoch - splitEpoch;
        return {
          success: bothFinalized,
          data: {
            p,
            validators: n,
            sideA: a,
            sideB: n - a,
            shareA: a / n,
            splitEpoch,
            finalizedAtSplit,
            splitAttempts: split.attempts,
            epochsToFinalityA: measuredA,
            epochsToFinalityB: measuredB,
            expectedEpochsA:
              expectA.finalizedByEpoch === undefined ? null : expectA.finalizedByEpoch - splitEpoch,
            expectedEpochsB:
              expectB.finalizedByEpoch === undefined ? null : expectB.finalizedByEpoch - splitEpoch,
            expectedEpochsToTwoThirdsA: expectA.epochsToTwoThirds ?? null,
            expectedEpochsToTwoThirdsB: expectB.epochsToTwoThirds ?? null,
            lostOnA: lostOnA.toString(),
            lostOnB: lostOnB.toString(),
            lossReadAtEpoch: readAt,
            expectedLostOnA: lossA.toString(),
            expectedLostOnB: lossB.toString(),
            presentChangeA: presentChangeA.toString(),
            presentChangeB: presentChangeB.toString(),
            finalizedA: stA.finalized,
            finalizedB: stB.finalized,
            conflicting,
            slashablePairs: pairs.length,
            conflictingWithoutOffence: conflicting && pairs.length === 0,
            afterHeal,
            headsAfterHeal: heads.map((h) => h.headHash),
          },
        };
      } finally {
        await net.stop();
      }
    };

    const records = await ctx.trialLoop(points, ctx.trials, trial);
    const byShare = records.map((r) => ({
      p: r.data.p,
      epochsToFinalityA: r.data.epochsToFinalityA,
      expectedEpochsA: r.data.expectedEpochsA,
      epochsToFinalityB: r.data.epochsToFinalityB,
      expectedEpochsB: r.data.expectedEpochsB,
      lostOnA: r.data.lostOnA,
      expectedLostOnA: r.data.expectedLostOnA,
      lostOnB: r.data.lostOnB,
      expectedLostOnB: r.data.expectedLostOnB,
      conflictingWithoutOffence: r.data.conflictingWithoutOffence,
      stoppedProposingAfterHeal: (r.data.afterHeal as NodeAfterHeal[]).filter((x) => x.headSlotAdvanced <= 0)
        .length,
    }));
    ctx.metric("byShare", byShare);
    ctx.note(leakTable(byShare));
    const series = (side: "A" | "B") => `side ${side}`;
    const pGrid = Array.from({ length: 19 }, (_, i) => 0.05 + i * 0.05);
    ctx.chart({
      file: "inactivity-leak",
      title: "Epochs from the split until each side finalizes again (real chainlab PoS nodes)",
      xTitle: "stake share of side A (p); side B holds 1 − p",
      yTitle: "epochs until finalized again",
      seriesTitle: "side",
      linearY: true,
      theory: pGrid.flatMap((p) => {
        const g = chartGenesis;
        const first = records[0];
        if (g === undefined || first === undefined) return [];
        const split = first.data.splitEpoch as number;
        const fin = first.data.finalizedAtSplit as number;
        const a = sideSize(p);
        return (["A", "B"] as const).flatMap((side) => {
          const present = Array.from({ length: n }, (_, j) => (side === "A" ? j < a : j >= a));
          const e = expectLeak(g, present, split, fin).finalizedByEpoch;
          return e === undefined ? [] : [{ x: p, y: e - split, series: series(side) }];
        });
      }),
      measured: records.flatMap((r) =>
        (["A", "B"] as const).flatMap((side) => {
          const y = r.data[`epochsToFinality${side}`] as number | null;
          return y === null
            ? []
            : [{ x: r.data.p as number, y, lo: y, hi: y, series: series(side), trials: 1 }];
        }),
      ),
    });
    ctx.note(
      [
        `**Design.** ${n} validators of equal stake on 4 in-process nodes (side A: nodes 0, 1 with round(p × ${n}) validators; side B: nodes 2, 3 with the rest), slots of ${slotMs} ms, ${epochSlots}-slot epochs. A deliberately fast leak in genesis: inactivityPenaltyQuotient = ${quotient} (mainnet-like values are 2^24 and up; the formula is the same, only the time scale changes) and minEpochsToInactivityPenalty = ${minEpochs}; slashing on. After the first finalized epoch the sides are partitioned at the next epoch's boundary (after the last slot's votes, before the first slot's; a partition that lands late is lifted and retried at a later boundary) until both finalized again or for ${partitionEpochs} epochs, then healed and watched for ${healEpochs} epochs.`,
        "**Measured.** The epochs from the split until a side's node reports a finalized epoch past the one at the split; the stake the validators absent from a side lost on that side's chain (pos_validator on a node of that side, against genesis); whether the two finalized checkpoints conflict (neither side knows the other's block) and the slashable pairs among the votes in both chains' blocks (expected: none, every validator voted on one side only). After the heal: per node, whose finalized chain it follows, how far its head advanced, how many blocks it proposed, and consensus_status.finalityConflict.",
        "**Expectation.** expectLeak iterates epoch.ts's integer rules from the genesis parameters: each absent validator's inactivity score grows by inactivityScoreBias per epoch (recovering by inactivityScoreRecoveryRate outside the leak), and while finality is more than minEpochsToInactivityPenalty epochs behind it loses effective × score / (bias × quotient) per epoch; effective stake follows with a quarter-increment hysteresis, and a validator at ejectionStake exits through the churn queue. The threshold epoch is the first with 3 × present effective ≥ 2 × active effective; justification then finalizes it two epochs later (finalizedByEpoch = threshold + 2, one more when an epoch's last votes are only included in the next). Present validators are taken to vote every epoch and their tiny attestation rewards are left out.",
        "**The known limit.** Each side leaks the other out on its own chain, so with a long enough partition both finalize conflicting checkpoints although no validator signed anything slashable: accountable safety does not cover the leak.",
      ].join(" "),
    );
  },
});

/** One row per trial: epochs to finality and stake leaked on each side, measured against the leak formula. */
function leakTable(rows: readonly Record<string, unknown>[]): string {
  const c = (x: unknown) => (typeof x === "string" ? coins(x) : "-");
  const n = (x: unknown) => (typeof x === "number" ? String(x) : "-");
  return [
    "| p (side A) | A: epochs to finality again, measured / formula | B: measured / formula | absent stake lost on A's chain, measured / formula (coins) | on B's chain (coins) | conflicting finality without a slashable offence | nodes that stopped proposing after the heal |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.p} | ${n(r.epochsToFinalityA)} / ${n(r.expectedEpochsA)} | ${n(r.epochsToFinalityB)} / ${n(r.expectedEpochsB)} | ${c(r.lostOnA)} / ${c(r.expectedLostOnA)} | ${c(r.lostOnB)} / ${c(r.expectedLostOnB)} | ${r.conflictingWithoutOffence ? "yes" : "no"} | ${n(r.stoppedProposingAfterHeal)} |`,
    ),
  ].join("\n");
}
