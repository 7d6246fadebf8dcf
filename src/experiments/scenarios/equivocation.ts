/**
 * equivocation (PoS): one node's validators double-propose and double-vote (`[pos]
 * unsafe_equivocate`, its validator client started once the honest nodes finalize). Per trial the
 * report gives the detection latency (offence → evidence held by every honest node), the
 * inclusion latency (→ the first block carrying it), the stake burned (initial penalty, and the
 * correlation penalty when the run reaches it), the whistleblower and proposer rewards the
 * including block's beneficiary received (its balance at the block against the block's parent),
 * whether exactly the offenders were slashed, and whether honest finality went on. Every amount is
 * compared with the value the chain's genesis parameters predict.
 */
import { join } from "node:path";
import { posFieldsOf } from "../../consensus/pos/audit.ts";
import { toHex } from "../../core/hash.ts";
import { encodeAddress } from "../../crypto/address.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { pollUntil } from "../adversary/chain-view.ts";
import { readPosStatus, waitForFinalizedEpoch } from "../adversary/pos.ts";
import {
  fetchPosBlocks,
  type PosChain,
  type RawPosBlock,
  readPosChain,
  slotStart,
} from "../adversary/pos-chain.ts";
import {
  beneficiaryOf,
  coins,
  type EvidenceSeen,
  expectedCorrelationPenalty,
  expectedEffective,
  expectedSlash,
  generatePosTestnet,
  HeadSampler,
  type PosPlan,
  posShapeParams,
  readEvidence,
  readPosShape,
  readValidator,
  startGenerated,
  ZERO_ADDRESS,
} from "../adversary/pos-equivocation.ts";
import { ExperimentError } from "../errors.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import { processesParam } from "./options.ts";

/** One slashing as a block carries it. */
interface Inclusion {
  validator: number;
  kind: "proposer" | "attester";
  /** Slot of the conflicting messages. */
  offenceSlot: number;
  block: RawPosBlock;
}

/** The slashings in `blocks`, first inclusion per validator. */
function inclusions(blocks: readonly RawPosBlock[]): Inclusion[] {
  const out = new Map<number, Inclusion>();
  for (const b of blocks) {
    for (const s of b.body.proposerSlashings) {
      const f = posFieldsOf(s.a);
      if (!out.has(f.proposerIndex))
        out.set(f.proposerIndex, {
          validator: f.proposerIndex,
          kind: "proposer",
          offenceSlot: f.slot,
          block: b,
        });
    }
    for (const s of b.body.attesterSlashings) {
      const v = s.a.validatorIndex;
      if (!out.has(v))
        out.set(v, {
          validator: v,
          kind: "attester",
          offenceSlot: Math.max(s.a.data.slot, s.b.data.slot),
          block: b,
        });
    }
  }
  return [...out.values()].sort((a, b) => a.validator - b.validator);
}

/** Slot of a fetched block. */
const slotOf = (b: RawPosBlock): number => posFieldsOf(b.block.header).slot;

/** The finalized epoch of every client once each is at least `epoch`. */
async function waitFinalized(
  clients: readonly RpcClient[],
  epoch: number,
  timeoutMs: number,
): Promise<number[]> {
  return (await waitForFinalizedEpoch(clients, epoch, timeoutMs)).map((s) => s.finalized.epoch);
}

export default defineScenario({
  name: "equivocation",
  description:
    "PoS: one node's validators double-propose and double-vote; detection and inclusion latency, stake burned (initial and correlation penalty), whistleblower and proposer rewards, all against the genesis parameters, and whether honest finality goes on",
  params: {
    nodes: {
      type: "integer",
      default: 4,
      min: 3,
      max: 16,
      description: "nodes; the last one runs the equivocating validators",
    },
    ...posShapeParams("validators bonded at genesis, validator j on node j mod nodes"),
    correlation: {
      type: "boolean",
      default: true,
      description: "run until the correlation penalty (halfway through the slashing window) has been applied",
    },
    processes: processesParam(),
  },
  trials: { default: 3, quick: 1 },
  async run(ctx) {
    const nodes = ctx.params.nodes as number;
    const { validators, slotMs, epochSlots } = readPosShape(ctx.params);
    const waitCorrelation = ctx.params.correlation === true;
    const equivocator = nodes - 1;
    const placement = Array.from({ length: validators }, (_, j) => j % nodes);
    const offenders = placement.flatMap((n, j) => (n === equivocator ? [j] : []));
    if (offenders.length * 3 >= validators) {
      throw new ExperimentError(
        "EXPERIMENT_BAD_PARAM",
        `the equivocating node holds ${offenders.length} of ${validators} validators: the honest ones need more than 2/3 to finalize`,
      );
    }
    const point: PointSpec = {
      id: "equivocate",
      coords: { offenders: offenders.length },
      // An equivocator whose messages reach honest nodes is slashed with certainty.
      predicted: { slashed: 1 },
      primary: "slashed",
    };
    let params: PosChain | undefined;

    const trial = async (_p: PointSpec, _rng: unknown, index: number): Promise<TrialOutcome> => {
      const plan: PosPlan = {
        dir: join(ctx.workDir, `trial-${index}`, "testnet"),
        nodes,
        validators,
        validatorNodes: placement,
        slotMs,
        epochSlots,
        equivocators: [equivocator],
        heldBack: [equivocator],
        processes: ctx.params.processes === true,
      };
      const manifest = await generatePosTestnet(plan);
      ctx.log(
        `trial ${index + 1}: ${nodes} nodes, validators ${offenders.join(",")} on node ${equivocator} equivocate`,
      );
      const net = await startGenerated(ctx, plan);
      let sampler: HeadSampler | undefined;
      try {
        const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
        const chain = await readPosChain(manifest, clients[0]!);
        params = chain;
        const p = chain.params;
        const spe = p.slotsPerEpoch;
        const epochMs = slotMs * spe;
        const honest = clients.filter((_, i) => i !== equivocator);
        const addresses = [
          ...new Set([
            ...((await Promise.all(manifest.nodes.map(beneficiaryOf))).filter(
              (a) => a !== undefined,
            ) as string[]),
            ZERO_ADDRESS,
          ]),
        ];
        sampler = new HeadSampler(honest[0]!, addresses, offenders, Math.max(20, Math.floor(slotMs / 8)));
        // The honest validators finalize first: the baseline the offence must not stop.
        const before = await waitFinalized(honest, 1, 40 * epochMs);
        const finalizedBefore = Math.min(...before);
        const genesisStake = (await Promise.all(offenders.map((v) => readValidator(honest[0]!, v)))).map(
          (v) => v.stake,
        );
        await clients[equivocator]!.call("miner_start");
        const startedAt = Date.now();
        const startSlot = (await readPosStatus(honest[0]!)).slot;
        ctx.log(`equivocation starts at slot ${startSlot}`);
        const slashedEverywhere = await pollUntil(
          `validators ${offenders.join(",")} slashed on every honest node`,
          async () => {
            const all = await Promise.all(honest.map(readEvidence));
            return all.every((e) => offenders.every((v) => e.slashed.includes(v))) ? all : undefined;
          },
          30 * epochMs,
          50,
        );
        const slashedAt = Date.now();
        const slashed = slashedEverywhere.map((e) => e.slashed);
        const records = slashedEverywhere.map((e) => e.evidence);
        // Finality after the offence: past both the finalized epoch before it and the slashing.
        const slashEpoch = Math.floor((await readPosStatus(honest[0]!)).slot / spe);
        const after = await waitFinalized(honest, Math.max(finalizedBefore, slashEpoch) + 1, 30 * epochMs);
        const views = await Promise.all(offenders.map((v) => readValidator(honest[0]!, v)));
        let correlationEpoch: number | undefined;
        if (waitCorrelation) {
          const withdrawable = Math.min(...views.map((v) => v.withdrawableEpoch ?? Number.MAX_SAFE_INTEGER));
          correlationEpoch = Math.max(
            ...views.map((v) => (v.withdrawableEpoch ?? 0) - Math.floor(p.slashingsWindowEpochs / 2)),
          );
          // Epoch processing of epoch E runs in the first block after it; the stake is withdrawn at withdrawable - 1.
          if (correlationEpoch + 1 < withdrawable - 1) {
            await pollUntil(
              `a block after epoch ${correlationEpoch}`,
              async () =>
                (await readPosStatus(honest[0]!)).headSlot >= (correlationEpoch! + 1) * spe
                  ? true
                  : undefined,
              (correlationEpoch + 4) * epochMs + 30_000,
              100,
            );
          } else correlationEpoch = undefined;
        }
        const end = await Promise.all(offenders.map((v) => readValidator(honest[0]!, v)));
        const endStatus = await readPosStatus(honest[0]!);
        await sampler.stop();
        const head = endStatus.headHeight;
        const blocks = await fetchPosBlocks(chain, net.nodes[0]!, 1, head);
        const incl = inclusions(blocks);
        const byHash = new Map(blocks.map((b) => [b.hash, b]));
        const indexOf = new Map(blocks.map((b, i) => [b.hash, i]));
        // A validator's vote slot in an epoch, from the votes the blocks carry.
        const dutySlots = new Map<string, number>();
        for (const b of blocks)
          for (const a of b.body.attestations)
            dutySlots.set(`${a.validatorIndex}:${a.data.target.epoch}`, a.data.slot);
        const epochOfBlock = (i: number) => Math.floor((i < 0 ? 0 : slotOf(blocks[i]!)) / spe);
        // A block leaves a stake alone unless it slashes the validator or runs an epoch transition.
        const stakeQuiet = (v: number) => (b: RawPosBlock, i: number) =>
          !b.body.attesterSlashings.some((s) => s.a.validatorIndex === v) &&
          !b.body.proposerSlashings.some((s) => posFieldsOf(s.a).proposerIndex === v) &&
          epochOfBlock(i) === epochOfBlock(i - 1);
        // A block leaves a balance alone unless it pays that beneficiary something.
        const balanceQuiet = (who: string) => (b: RawPosBlock) =>
          encodeAddress(b.block.header.beneficiary) !== who ||
          (b.block.txs.length === 0 &&
            b.body.attesterSlashings.length + b.body.proposerSlashings.length === 0);

        // Per offender: offence, detection, inclusion, penalty.
        const rows = offenders.map((v, k) => {
          const inc = incl.find((x) => x.validator === v);
          const effective = expectedEffective(genesisStake[k]!, p);
          if (inc === undefined) return { validator: v, included: false };
          const offenceAt =
            slotStart(chain, inc.offenceSlot) + (inc.kind === "attester" ? Math.floor(slotMs / 3) : 0);
          // Seen by a node: the earliest evidence of any kind against v it holds.
          const seen = records.map((rs) =>
            Math.min(...rs.filter((r) => r.validatorIndex === v).map((r) => r.seenAt)),
          );
          // The first offence any node holds evidence of: a proposal at its slot's start, a vote a third into its duty slot.
          const offenceOf = (r: EvidenceSeen) =>
            r.kind === "proposer"
              ? slotStart(chain, r.at)
              : slotStart(chain, dutySlots.get(`${v}:${r.at}`) ?? r.at * spe) + Math.floor(slotMs / 3);
          const firstOffence = Math.min(
            offenceAt,
            ...records
              .flat()
              .filter((r) => r.validatorIndex === v)
              .map(offenceOf),
          );
          const blockSlot = slotOf(inc.block);
          const parent = byHash.get(toHex(inc.block.block.header.parentHash));
          const around = sampler!.around(blocks, indexOf.get(inc.block.hash)!, stakeQuiet(v));
          const stakeBefore = around.before?.stakes.get(v);
          const stakeAfter = around.after?.stakes.get(v);
          const exp = expectedSlash(effective, stakeBefore ?? genesisStake[k]!, p);
          return {
            validator: v,
            included: true,
            kind: inc.kind,
            offenceSlot: inc.offenceSlot,
            firstOffenceAt: firstOffence,
            // null: some honest node holds no evidence of its own (it learned of the slashing from a block).
            detectionMs: seen.every(Number.isFinite) ? Math.max(...seen) - firstOffence : null,
            nodesWithEvidence: seen.filter(Number.isFinite).length,
            includedAtHeight: inc.block.block.header.height,
            includedAtSlot: blockSlot,
            inclusionMs: slotStart(chain, blockSlot) - offenceAt,
            includer: encodeAddress(inc.block.block.header.beneficiary),
            effective: effective.toString(),
            stakeBefore: stakeBefore?.toString() ?? null,
            stakeAfter: stakeAfter?.toString() ?? null,
            penaltyMeasured:
              stakeBefore !== undefined && stakeAfter !== undefined
                ? (stakeBefore - stakeAfter).toString()
                : null,
            penaltyExpected: exp.penalty.toString(),
            whistleblowerExpected: exp.whistleblowerReward.toString(),
            proposerRewardExpected: exp.proposerReward.toString(),
            crossesEpoch:
              parent !== undefined && Math.floor(slotOf(parent) / spe) !== Math.floor(blockSlot / spe),
          };
        });

        // Per including block: the beneficiary's balance at the block against its parent.
        const includingBlocks = [...new Set(incl.map((x) => x.block))];
        const rewards = includingBlocks.map((b) => {
          const who = encodeAddress(b.block.header.beneficiary);
          const around = sampler!.around(blocks, indexOf.get(b.hash)!, balanceQuiet(who));
          const before = around.before?.balances.get(who);
          const afterBal = around.after?.balances.get(who);
          const fees = b.block.txs.reduce((s, tx) => s + tx.fee, 0n);
          let expected = fees;
          let proposerShare = 0n;
          let whistleShare = 0n;
          for (const x of incl.filter((i) => i.block === b)) {
            const k = offenders.indexOf(x.validator);
            const stakeBefore =
              sampler!
                .around(blocks, indexOf.get(b.hash)!, stakeQuiet(x.validator))
                .before?.stakes.get(x.validator) ??
              genesisStake[k] ??
              0n;
            const e = expectedSlash(expectedEffective(genesisStake[k] ?? 0n, p), stakeBefore, p);
            proposerShare += e.proposerReward;
            whistleShare += e.whistleblowerReward;
            expected += e.proposerReward + e.whistleblowerReward;
          }
          return {
            height: b.block.header.height,
            beneficiary: who,
            slashings: incl.filter((i) => i.block === b).length,
            fees: fees.toString(),
            balanceBefore: before?.toString() ?? null,
            balanceAfter: afterBal?.toString() ?? null,
            receivedMeasured:
              before !== undefined && afterBal !== undefined ? (afterBal - before).toString() : null,
            proposerRewardExpected: proposerShare.toString(),
            whistleblowerRewardExpected: whistleShare.toString(),
            receivedExpected: expected.toString(),
          };
        });

        // Correlation penalty: the stake after the initial penalty against the stake at the end.
        let correlation: Record<string, unknown>[] = [];
        if (correlationEpoch !== undefined) {
          const slashedSum = offenders.reduce((s, _, k) => s + expectedEffective(genesisStake[k]!, p), 0n);
          // The active set at the correlation epoch: every validator whose exit has not come.
          const all = await Promise.all(placement.map((_, j) => readValidator(honest[0]!, j)));
          const totalActive = all
            .filter((v) => v.exitEpoch === null || v.exitEpoch > correlationEpoch!)
            .reduce((s, v) => s + v.effective, 0n);
          correlation = offenders.map((v, k) => {
            const afterInitial = BigInt(rows[k]!.stakeAfter ?? views[k]!.stake.toString());
            const expected = expectedCorrelationPenalty(
              expectedEffective(genesisStake[k]!, p),
              afterInitial,
              slashedSum,
              totalActive,
              p,
            );
            return {
              validator: v,
              epoch: correlationEpoch,
              stakeBefore: afterInitial.toString(),
              stakeAfter: end[k]!.stake.toString(),
              measured: (afterInitial - end[k]!.stake).toString(),
              expected: expected.toString(),
              slashedInWindow: slashedSum.toString(),
              totalActive: totalActive.toString(),
            };
          });
        }
        const exact = (a: string | null | undefined, b: string) => a !== null && a !== undefined && a === b;
        const onlyOffenders = slashed.every(
          (s) => s.length === offenders.length && s.every((x, i) => x === offenders[i]),
        );
        const penaltiesExact = rows.every(
          (r) => "penaltyExpected" in r && exact(r.penaltyMeasured, r.penaltyExpected!),
        );
        const rewardsExact = rewards.every((r) => exact(r.receivedMeasured, r.receivedExpected));
        const correlationExact = correlation.every((c) => c.measured === c.expected);
        const finalizedAfter = Math.min(...after);
        return {
          success: onlyOffenders && rows.every((r) => r.included),
          data: {
            offenders,
            equivocationStartSlot: startSlot,
            secondsToSlashedEverywhere: (slashedAt - startedAt) / 1000,
            slashedOnHonestNodes: slashed,
            onlyOffendersSlashed: onlyOffenders,
            perOffender: rows,
            rewards,
            correlation,
            correlationReached: correlationEpoch !== undefined,
            penaltiesExact,
            rewardsExact,
            correlationExact,
            finalizedBefore,
            finalizedAfter,
            finalityAdvanced: finalizedAfter > finalizedBefore && finalizedAfter > slashEpoch,
            finalizedAtEnd: endStatus.finalized.epoch,
            headSlotAtEnd: endStatus.headSlot,
            samples: sampler.count,
          },
        };
      } finally {
        await sampler?.stop();
        await net.stop();
      }
    };

    const records = await ctx.trialLoop([point], ctx.trials, trial);
    const rows = records
      .flatMap((r) => r.data.perOffender as Record<string, unknown>[])
      .filter((r) => r.included);
    const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
    const num = (k: string) => rows.map((r) => r[k] as number);
    ctx.metric("meanDetectionMs", Math.round(mean(num("detectionMs"))));
    ctx.metric("maxDetectionMs", Math.max(0, ...num("detectionMs")));
    ctx.metric("meanInclusionMs", Math.round(mean(num("inclusionMs"))));
    ctx.metric("maxInclusionMs", Math.max(0, ...num("inclusionMs")));
    ctx.metric("trialsOnlyOffendersSlashed", records.filter((r) => r.data.onlyOffendersSlashed).length);
    ctx.metric("trialsPenaltiesExact", records.filter((r) => r.data.penaltiesExact).length);
    ctx.metric("trialsRewardsExact", records.filter((r) => r.data.rewardsExact).length);
    ctx.metric("trialsCorrelationReached", records.filter((r) => r.data.correlationReached).length);
    ctx.metric(
      "trialsCorrelationExact",
      records.filter((r) => r.data.correlationReached && r.data.correlationExact).length,
    );
    ctx.metric("trialsFinalityAdvanced", records.filter((r) => r.data.finalityAdvanced).length);
    ctx.note(equivocationTable(records));
    const p = params?.params;
    if (p !== undefined) {
      const eff = expectedEffective(p.minStake, p);
      const e = expectedSlash(eff, p.minStake, p);
      ctx.metric("expectedPerOffender", {
        effective: eff.toString(),
        initialPenalty: e.penalty.toString(),
        whistleblowerReward: e.whistleblowerReward.toString(),
        proposerReward: e.proposerReward.toString(),
      });
      ctx.chart({
        file: "equivocation-latency",
        title: "Equivocation: offence to evidence on every honest node, and to inclusion (ms)",
        xTitle: "offending validator",
        yTitle: "latency (ms)",
        seriesTitle: "series",
        linearY: true,
        theory: [],
        measured: rows.flatMap((r) =>
          (["detection", "inclusion"] as const).map((series) => {
            const y = r[`${series}Ms`] as number;
            return { x: r.validator as number, y, lo: y, hi: y, series, trials: 1 };
          }),
        ),
      });
      const w = p.slashingsWindowEpochs;
      ctx.note(
        [
          `**Design.** ${nodes} in-process PoS nodes (${ctx.params.processes === true ? "child processes" : "in this process"}), ${validators} validators of ${coins(p.minStake)} coins each (validator j on node j mod ${nodes}), slots of ${slotMs} ms, ${epochSlots}-slot epochs. Node ${equivocator} holds validators ${offenders.join(", ")} with \`[pos] unsafe_equivocate = true\`: slashing protection off, each proposal published twice (the twin pays another beneficiary, so it is a different block of the same slot) and each vote twice (the second for the head's parent, same target: a double vote). Its validator client starts only once the honest nodes have finalized epoch 1, so the baseline and the samplers are in place before the first offence.`,
          "**Measurements.** Detection: from the first conflicting message (proposal at its slot's start, vote a third into its slot, the moment an honest validator client signs) until the last honest node lists evidence against the validator in consensus_status (its `seenAt`). Inclusion: until the start of the slot of the first canonical block carrying the evidence (bodies fetched raw over blocks_by_range and decoded with the node's own codec). Stakes and balances are sampled per head on an honest node; a block's effect is its head's sample minus its parent's.",
          `**Theory (genesis parameters, slashing.ts / epoch.ts).** Initial penalty = effective / ${p.minSlashingPenaltyQuotient} = ${coins(e.penalty)} coins; of it the whistleblower reward effective / ${p.whistleblowerRewardQuotient} = ${coins(e.whistleblowerReward + e.proposerReward)} coins is paid, the proposer's share 1/${p.proposerRewardQuotient} of it (${coins(e.proposerReward)}), the rest (${coins(e.whistleblowerReward)}) to the whistleblower; in a block both are the block's beneficiary, so it receives the whole ${coins(e.whistleblowerReward + e.proposerReward)} plus the block's fees. The rest of the penalty goes to the reward pool. The correlation penalty falls at withdrawable epoch − ${Math.floor(w / 2)} (window ${w} epochs): (effective / increment × min(slashed in window × ${p.proportionalSlashingMultiplier}, total active) / total active) × increment.`,
          records.some((r) => !r.data.correlationReached)
            ? "In trials with correlationReached false the run ended before the correlation penalty (run with --param correlation=true)."
            : "",
        ].join(" "),
      );
    }
  },
});

/** One row per offender and trial: latencies, and each amount measured against the genesis prediction. */
function equivocationTable(records: readonly { index: number; data: Record<string, unknown> }[]): string {
  type Row = Record<string, unknown>;
  const amount = (m: unknown, e: unknown) =>
    m === undefined ? "-" : `${coins(BigInt(m as string))} / ${coins(BigInt(e as string))}`;
  const lines = [
    "| trial | validator | evidence | detection (ms) | inclusion (ms) | initial penalty, measured / expected (coins) | correlation penalty, measured / expected (coins) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of records) {
    const correlation = (r.data.correlation as Row[] | undefined) ?? [];
    for (const o of (r.data.perOffender as Row[]) ?? []) {
      const c = correlation.find((x) => x.validator === o.validator);
      lines.push(
        `| ${r.index + 1} | ${o.validator} | ${o.included ? o.kind : "not included"} | ${o.detectionMs ?? "-"} | ${o.inclusionMs ?? "-"} | ${amount(o.penaltyMeasured, o.penaltyExpected)} | ${c ? amount(c.measured, c.expected) : "not reached"} |`,
      );
    }
  }
  const paid = records.flatMap((r) => (r.data.rewards as Row[] | undefined) ?? []);
  if (paid.length > 0) {
    lines.push(
      "",
      "| including block | slashings | includer received, measured / expected (coins; proposer + whistleblower share + fees) |",
      "| --- | --- | --- |",
      ...paid.map(
        (x) => `| ${x.height} | ${x.slashings} | ${amount(x.receivedMeasured, x.receivedExpected)} |`,
      ),
    );
  }
  return lines.join("\n");
}
