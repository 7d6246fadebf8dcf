/**
 * pos-majority (PoS, the counterpart of the PoW `majority`): what an attacker holding stake share s
 * can do. Per share a fresh 3-node testnet: node 0 holds the attacker's validators, nodes 1 and 2 the
 * honest ones. Phase 1 partitions the attacker off for a few epochs (before the leak) and gives a
 * marked transfer to the honest nodes only: does the attacker's side finalize alone (theory
 * s ≥ 2/3), and is the transfer missing from the canonical chain once the partition heals and
 * LMD-GHOST picks a branch (theory s > 1/2)? Phase 2 stops the attacker's validator client: does
 * honest finality halt (theory s > 1/3), for how many epochs, and how much stake does the
 * inactivity leak burn until it restores finality, against the node's own epoch processing
 * iterated over the measured registry? Balances before and after each phase give the stake burned.
 */
import { type PosParams, parsePosParams } from "../../consensus/pos/audit.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import type { RpcClient } from "../../rpc/index.ts";
import type { Testnet } from "../../testnet/index.ts";
import {
  chainIdentity,
  openAccount,
  pollUntil,
  readHead,
  submitRaw,
  waitForSameHead,
} from "../adversary/index.ts";
import { type PosStatusView, readPosStatus, waitForFinalizedEpoch } from "../adversary/pos.ts";
import {
  findCanonicalTx,
  type LeakPrediction,
  posMajorityCharts,
  posMajorityTable,
  predictLeak,
  readValidators,
  stakeChange,
  stakeOf,
  theoryOf,
  type ValidatorRecord,
  waitForEpochStart,
} from "../adversary/pos-majority.ts";
import { signTransfer } from "../adversary/transactions.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { processesParam } from "./options.ts";
import { startPosTestnet } from "./testnet.ts";

const ATTACKER = 0;
const HONEST = [1, 2];

/** The attacker's validators for share s of `validators` (at least one on each side). */
export function attackerCount(s: number, validators: number): number {
  return Math.min(validators - 1, Math.max(1, Math.round(s * validators)));
}

export default defineScenario({
  name: "pos-majority",
  description:
    "PoS majority attacks by stake share s: halting finality by abstaining (s > 1/3, with the stake the inactivity leak burns and the epochs until it restores finality), finalizing alone while partitioned (s ≥ 2/3) and censoring a transfer through the fork choice (s > 1/2)",
  params: {
    s: {
      type: "numbers",
      default: [0.2, 0.4, 0.6, 0.7],
      quick: [0.2, 0.7],
      min: 0.05,
      max: 0.95,
      description: "attacker stake shares (rounded to whole validators)",
    },
    validators: {
      type: "integer",
      default: 10,
      min: 3,
      max: 64,
      description: "validators at genesis, equal stake each",
    },
    "slot-ms": {
      type: "integer",
      default: 500,
      quick: 300,
      min: 100,
      max: 10_000,
      description: "slot length (ms)",
    },
    "epoch-slots": { type: "integer", default: 8, quick: 4, min: 2, max: 64, description: "slots per epoch" },
    "leak-quotient": {
      type: "integer",
      default: 16,
      min: 1,
      max: 2 ** 26,
      description: "genesis inactivityPenaltyQuotient (fast: chainlab's default is 65536, mainnet 2^24)",
    },
    "min-leak-epochs": {
      type: "integer",
      default: 8,
      min: 1,
      max: 1000,
      description:
        "genesis minEpochsToInactivityPenalty (chainlab's default 4): finality this far behind starts the leak; 8 keeps phase 1 leak-free",
    },
    "partition-epochs": {
      type: "integer",
      default: 5,
      min: 2,
      max: 100,
      description:
        "epochs the attacker stays partitioned in phase 1 (healed in the last slot of the last one)",
    },
    "leak-horizon": {
      type: "integer",
      default: 40,
      quick: 24,
      min: 4,
      max: 1000,
      description: "most epochs phase 2 waits for the leak to restore finality",
    },
    processes: processesParam(),
  },
  trials: { default: 1, quick: 1 },
  async run(ctx) {
    const shares = ctx.params.s as readonly number[];
    const V = ctx.params.validators as number;
    const slotMs = ctx.params["slot-ms"] as number;
    const E = ctx.params["epoch-slots"] as number;
    const quotient = ctx.params["leak-quotient"] as number;
    const W = ctx.params["partition-epochs"] as number;
    const minLeak = ctx.params["min-leak-epochs"] as number;
    const horizon = ctx.params["leak-horizon"] as number;
    const epochMs = slotMs * E;
    const points: PointSpec[] = shares.map((s) => {
      const share = attackerCount(s, V) / V;
      const t = theoryOf(share);
      return {
        id: `s=${s}`,
        coords: { s, share },
        predicted: {
          halt: t.halts ? 1 : 0,
          "finalize-alone": t.finalizesAlone ? 1 : 0,
          censor: t.censors ? 1 : 0,
        },
        primary: "halt",
      };
    });
    let predictionParams: PosParams | undefined;

    const trial = async (pt: PointSpec): Promise<TrialOutcome> => {
      const a = attackerCount(pt.coords.s!, V);
      const attackers = Array.from({ length: a }, (_, i) => i);
      const honestIdx = Array.from({ length: V - a }, (_, i) => a + i);
      ctx.log(`s=${pt.coords.s}: ${a} of ${V} validators on the attacker's node`);
      const net = await startPosTestnet(ctx, {
        nodes: 3,
        validators: V,
        validatorNodes: Array.from({ length: V }, (_, j) => (j < a ? ATTACKER : HONEST[(j - a) % 2]!)),
        slotMs,
        epochSlots: E,
        posParams: { inactivityPenaltyQuotient: quotient, minEpochsToInactivityPenalty: minLeak },
        accounts: 2,
        processes: ctx.params.processes === true,
      });
      try {
        const all = await Promise.all([0, 1, 2].map((i) => net.client(i)));
        const params = parsePosParams((await readGenesisFile(net.manifest.genesisFile)).consensus.params);
        predictionParams = params;
        const t: TrialNet = {
          net,
          all,
          att: all[ATTACKER]!,
          hon: all[HONEST[0]!]!,
          honest: HONEST.map((i) => all[i]!),
          params,
          epochMs,
          pollMs: Math.max(20, slotMs / 4),
        };
        await waitForFinalizedEpoch(all, 2, 40 * epochMs + 30_000);
        const startA = await readValidators(t.hon, V);
        const one = await partitionPhase(t, W, horizon);
        const endA = await readValidators(t.hon, V);
        const two = await abstainPhase(t, attackers, horizon);
        const { startB, endB } = two;
        const amounts = (c: { burned: bigint; rewarded: bigint }) => ({
          burned: c.burned.toString(),
          rewarded: c.rewarded.toString(),
        });
        const burn = (x: ValidatorRecord[], y: ValidatorRecord[]) => ({
          attacker: amounts(stakeChange(x, y, attackers)),
          honest: amounts(stakeChange(x, y, honestIdx)),
        });
        const atRestore = stepAt(two.prediction, two.from, two.restoredAtEpoch);
        const inLeak = (lag: number) => lagInLeak(lag, params);
        return {
          success: inLeak(two.maxLag),
          data: {
            s: pt.coords.s,
            share: a / V,
            attackerValidators: a,
            validators: V,
            ...one.data,
            finalizedAlone: one.attackerFinalized >= one.partitionEpoch,
            honestFinalizedDuringPartition: one.honestFinalized >= one.partitionEpoch,
            leakInPartition: inLeak(one.maxLag),
            abstainFrom: two.from,
            halted: inLeak(two.maxLag),
            restoreEpochs: two.restoredAtEpoch === undefined ? null : two.restoredAtEpoch - two.from,
            predictedRestoreEpochs: two.prediction.restoreEpochs ?? null,
            predictedLeakEpochs: two.prediction.leakEpochs,
            finalityMaxLag: two.maxLag,
            leakRan: inLeak(two.maxLag),
            attackerInactivityScore: Math.max(...attackers.map((i) => endB[i]!.inactivityScore)),
            predictedInactivityScore: atRestore?.absentMaxScore ?? null,
            attackerStakeStart: stakeOf(startA, attackers).toString(),
            attackerStakeEnd: stakeOf(endB, attackers).toString(),
            predictedAttackerStakeAtRestore: atRestore?.absentStake.toString() ?? null,
            attackerActiveAtEnd: endB.filter((v, i) => i < a && v.status === "active").length,
            burnedInPartition: burn(startA, endA),
            burnedInAbstention: burn(startB, endB),
          },
        };
      } finally {
        await net.stop();
      }
    };

    ctx.log(`running ${points.length * ctx.trials} trials, a fresh testnet each`);
    const records = await ctx.trialLoop(points, ctx.trials, trial);
    ctx.metric(
      "byShare",
      records.map((r) => ({ point: r.point, ...r.data })),
    );
    ctx.note(posMajorityTable(records));
    if (predictionParams !== undefined) {
      for (const c of posMajorityCharts(records, predictionParams, V, horizon)) ctx.chart(c);
    }
    ctx.note(posMajorityNotes({ V, slotMs, E, quotient, minLeak, W, horizon }));
  },
});

/** One trial's testnet and what its phases read. */
interface TrialNet {
  net: Testnet;
  all: RpcClient[];
  att: RpcClient;
  hon: RpcClient;
  honest: RpcClient[];
  params: PosParams;
  epochMs: number;
  pollMs: number;
}

/** A node whose clock is in epoch c has processed epoch c − 1: in the leak when c − 2 − finalized > min. */
function lagInLeak(lag: number, params: PosParams): boolean {
  return lag - 2 > params.minEpochsToInactivityPenalty;
}

/**
 * Phase 1: the attacker partitioned off from an epoch's start to the last slot of its W-th epoch,
 * the marked transfer given to the honest nodes only; then the heal, the fork choice's branch, the
 * transfer's fate, and finality on the joined chain.
 */
async function partitionPhase(t: TrialNet, W: number, horizon: number) {
  const { att, hon, params, epochMs } = t;
  const E = params.slotsPerEpoch;
  const p = await waitForEpochStart(hon, E, 4 * epochMs + 10_000);
  await t.net.partition([[ATTACKER], HONEST]);
  const fork = await readHead(hon);
  const wallet = await openAccount(t.net.manifest, 0);
  const tx = signTransfer(wallet, await chainIdentity(hon), t.net.manifest.accounts[1]!.address, 1n, 0);
  const submitted = await Promise.all(t.honest.map((c) => submitRaw(c, tx.hex)));
  const submitSlot = (await readPosStatus(hon)).slot;
  const seen = { attackerFinalized: 0, honestFinalized: 0, maxLag: 0 };
  const track = (statuses: PosStatusView[]) => {
    for (const x of statuses) seen.maxLag = Math.max(seen.maxLag, x.epoch - x.finalized.epoch);
  };
  // Healed in the last slot of the window's last epoch, before that epoch is processed.
  const healSlot = (p.epoch + W) * E - 1;
  await pollUntil(
    `slot ${healSlot} on both sides`,
    async () => {
      const [sa, sh] = await Promise.all([readPosStatus(att), readPosStatus(hon)]);
      track([sa, sh]);
      seen.attackerFinalized = Math.max(seen.attackerFinalized, sa.finalized.epoch);
      seen.honestFinalized = Math.max(seen.honestFinalized, sh.finalized.epoch);
      return sa.slot >= healSlot && sh.slot >= healSlot ? true : undefined;
    },
    (W + 4) * epochMs + 20_000,
    t.pollMs,
  );
  const heads = { attacker: await readHead(att), honest: await readHead(hon) };
  const onHonestBranch = await findCanonicalTx(hon, tx.id, fork.height);
  await t.net.heal();
  const healed = await waitForSameHead(t.all, 30 * epochMs + 30_000);
  const keptAttacker = await isCanonical(hon, heads.attacker);
  const keptHonest = await isCanonical(hon, heads.honest);
  // Censored: the branch the fork choice kept lacks the transfer. Only blocks of the partition
  // count: once the honest nodes reorg, it returns to their pools and the next block may include
  // it, which the inclusion delay measures (on a loaded machine that block can come before the
  // heads agree).
  const branchTop = keptAttacker ? heads.attacker.height : keptHonest ? heads.honest.height : undefined;
  const atHeal = await findCanonicalTx(hon, tx.id, fork.height, branchTop);
  // Re-injected into the honest pools: does it come back, and when?
  const later =
    atHeal ??
    (await pollUntil(
      "the transfer on the canonical chain",
      () => findCanonicalTx(hon, tx.id, fork.height),
      3 * epochMs + 5_000,
      t.pollMs,
    ).catch(() => null));
  // The phase ends once the joined chain finalizes an epoch after the heal (the lag may leak).
  await pollUntil(
    "finality after the heal",
    async () => {
      const sh = await readPosStatus(hon);
      track([sh]);
      return sh.finalized.epoch >= p.epoch + W ? true : undefined;
    },
    (params.minEpochsToInactivityPenalty + horizon) * epochMs + 30_000,
    t.pollMs,
  );
  return {
    partitionEpoch: p.epoch,
    attackerFinalized: seen.attackerFinalized,
    honestFinalized: seen.honestFinalized,
    maxLag: seen.maxLag,
    data: {
      partitionEpoch: p.epoch,
      attackerFinalizedInPartition: seen.attackerFinalized,
      honestFinalizedInPartition: seen.honestFinalized,
      partitionMaxLag: seen.maxLag,
      submittedTo: submitted.map((x) => x.code),
      txId: tx.id,
      txOnHonestBranch: onHonestBranch !== undefined,
      keptBranch: keptAttacker ? "attacker" : keptHonest ? "honest" : "neither",
      healedHead: healed.hash,
      censored: atHeal === undefined,
      txIncludedAfterHeal: later !== null,
      inclusionDelaySlots: later === null ? null : later.slot - submitSlot,
    },
  };
}

/**
 * Phase 2: the attacker's validator client stops in an epoch's last slot; the leak is predicted
 * from the registry read then, and the run waits for honest finality of the first abstained epoch.
 */
async function abstainPhase(t: TrialNet, attackers: readonly number[], horizon: number) {
  const { hon, params, epochMs } = t;
  const E = params.slotsPerEpoch;
  const q = await pollUntil(
    "the last slot of an epoch",
    async () => {
      const s = await readPosStatus(hon);
      return s.slot % E === E - 1 ? s : undefined;
    },
    4 * epochMs + 10_000,
    10,
  );
  await t.att.call("miner_stop");
  const from = q.epoch + 1;
  const startB = await readValidators(hon, params.validators.length);
  const prediction = predictLeak(
    params,
    startB,
    new Set(attackers),
    { from, justified: q.justified.epoch, finalized: q.finalized.epoch },
    horizon,
  );
  let maxLag = 0;
  const restored = await pollUntil(
    "finality to reach the epoch the attacker left, or the horizon",
    async () => {
      const s = await readPosStatus(hon);
      maxLag = Math.max(maxLag, s.epoch - s.finalized.epoch);
      if (s.finalized.epoch >= from) return { epoch: s.epoch };
      return s.epoch >= from + horizon ? { epoch: undefined } : undefined;
    },
    (horizon + 4) * epochMs + 30_000,
    t.pollMs,
  );
  const endB = await readValidators(hon, params.validators.length);
  return { from, prediction, maxLag, restoredAtEpoch: restored.epoch, startB, endB };
}

/** Whether `head` is on the canonical chain of the node behind `c`. */
async function isCanonical(c: RpcClient, head: { height: number; hash: string }): Promise<boolean> {
  const b = await c.call<{ hash: string } | null>("chain_getBlockByHeight", { height: head.height });
  return b?.hash === head.hash;
}

/** The prediction's state at the clock epoch a node showed (the processing of the epoch before). */
function stepAt(p: LeakPrediction, from: number, clockEpoch: number | undefined) {
  const last = p.steps[p.steps.length - 1];
  if (clockEpoch === undefined) return last;
  return p.steps.find((s) => s.epoch === clockEpoch - 1) ?? (last && last.epoch < from ? undefined : last);
}

/** The report's design notes: the setup, what each outcome means, and the theory compared. */
function posMajorityNotes(o: {
  V: number;
  slotMs: number;
  E: number;
  minLeak: number;
  quotient: number;
  W: number;
  horizon: number;
}): string {
  return [
    `**Design.** Per share a fresh 3-node PoS testnet of ${o.V} equal validators (slots of ${o.slotMs} ms, ${o.E}-slot epochs, in-process nodes unless processes=true): node 0 holds the attacker's validators (the first round(s·${o.V})), nodes 1 and 2 the honest ones. The genesis inactivityPenaltyQuotient is ${o.quotient}, a fast leak for the experiment (chainlab's default is 65536, mainnet's 2^24), and minEpochsToInactivityPenalty is ${o.minLeak} (default 4): with votes of an epoch's last slot included only in the next epoch, justification comes from the previous epoch's votes and finality runs about 4 epochs behind the clock, so with the default the leak would start two epochs into the partition and lend a minority attacker the stake it needs to finalize alone. Every other parameter is the default.`,
    `**Phase 1 (partition, censorship, finalizing alone).** At an epoch's start the attacker's node is partitioned off until the last slot of its ${o.W}th epoch (before that epoch is processed), and a marked transfer is submitted to the honest nodes only (the attacker never receives it, so its proposers cannot include it). *Finalizes alone*: the attacker's side finalizes an epoch of the partition. Then the partition heals and LMD-GHOST, from the justified checkpoint, picks a branch; *censored*: the transfer is not on the canonical chain once all nodes agree on one head. Honest proposers do include it on their branch, so censoring means out-voting those blocks: an attacker whose branch carries more attestation weight (s > 1/2, or a justified checkpoint of its own at s ≥ 2/3) wins the fork choice. Txs of reorged-out blocks return to the honest pools, so the transfer comes back after the heal: the inclusion delay (slots from submission to its block on the final chain) measures how long the attack kept it out. Keeping it out for good would take an attacker client that re-forks every block including it; the node offers no such client.`,
    `**Phase 2 (abstaining, the leak).** From the last slot of an epoch the attacker's node stops its validator client (miner_stop): no attacker block or vote. *Finality halts* when the honest nodes' finality falls more than minEpochsToInactivityPenalty epochs behind, the protocol's own test of a stall (the leak starts); epochs to finality is the clock epoch at which an honest node first shows the first abstained epoch finalized, minus that epoch. The run waits up to ${o.horizon} epochs for the inactivity leak to drain the absent stake until the honest validators hold 2/3 of the active stake and finalize again. The prediction iterates the node's own processEpoch (src/consensus/pos/epoch.ts) over the registry read at the abstention (pos_validator), every present vote included in time: the epochs until a node shows finality of the abstained epoch, the attacker's balance and inactivity score at that point. The leak starts once finality is more than minEpochsToInactivityPenalty epochs behind; a blockless epoch (no honest proposer in it, likelier at high s and short epochs) is not leaked by the node, so the measurement can trail the prediction by such epochs.`,
    "**Stake burned.** Every validator's balance (pos_validator on an honest node) at the start and end of each phase; burned is the sum of the losses, rewarded the sum of the gains (attestation rewards are paid from the pool the penalties fill, no issuance). The leak is the only penalty here (no slashable message is signed), so a loss shows only where the leak ran. Phase 1 ends when the joined chain finalizes an epoch after the heal; if finality fell far enough behind meanwhile, the leak burns the stake of the side whose votes lost the fork choice (leakInPartition).",
    "**Theory.** With equal validators and every honest vote in time: finality needs 2/3 of the active stake, so an attacker above 1/3 halts it by abstaining and one at 2/3 or more finalizes alone; LMD-GHOST follows the heavier latest votes, so above 1/2 the attacker's branch wins after a partition. Shares are rounded to whole validators; the table gives the share run.",
  ].join("\n\n");
}
