/**
 * PoS majority attacks through the RPC: every validator's balance (pos_validator), where a tx sits
 * on the canonical chain, the start of an epoch, and the inactivity leak predicted by iterating the
 * node's own epoch processing (consensus/pos/epoch.ts through audit.ts) over the measured registry.
 */
import {
  FAR_FUTURE_EPOCH,
  FLAG_INCLUDED,
  FLAG_TARGET,
  isActive,
  isInLeak,
  type PosParams,
  type PosState,
  processEpoch,
  type Validator,
} from "../../consensus/pos/audit.ts";
import { fromHex, toHex, ZERO_HASH } from "../../core/hash.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { ExperimentError } from "../errors.ts";
import type { ChartSpec } from "../report/chart.ts";
import { coins } from "../report/units.ts";
import type { TrialRecord } from "../scenario.ts";
import { wilsonInterval } from "../stats/index.ts";
import { canonicalBlocks, pollUntil, readHead } from "./chain-view.ts";
import { type PosStatusView, readPosStatus } from "./pos.ts";

/** One validator's record as pos_validator reports it (amounts in base units). */
export interface ValidatorRecord {
  index: number;
  publicKey: string;
  stake: bigint;
  effective: bigint;
  activationEpoch: number | null;
  exitEpoch: number | null;
  withdrawableEpoch: number | null;
  slashed: boolean;
  inactivityScore: number;
  status: string;
}

interface RawRecord extends Omit<ValidatorRecord, "stake" | "effective"> {
  stake: string;
  effective: string;
}

/** Validators 0..count-1 in the head state of the node behind `c`. */
export async function readValidators(c: RpcClient, count: number): Promise<ValidatorRecord[]> {
  const got = await c.batch(
    Array.from({ length: count }, (_, index) => ({ method: "pos_validator", params: { index } })),
  );
  return got.map((r, i) => {
    if (r instanceof Error) {
      throw new ExperimentError("EXPERIMENT_FAILED", `pos_validator ${i}: ${r.message}`);
    }
    const v = r as RawRecord;
    return { ...v, stake: BigInt(v.stake), effective: BigInt(v.effective) };
  });
}

/** Stake lost and stake gained by `indices` between two readings (each non-negative). */
export function stakeChange(
  before: readonly ValidatorRecord[],
  after: readonly ValidatorRecord[],
  indices: readonly number[],
): { burned: bigint; rewarded: bigint } {
  let burned = 0n;
  let rewarded = 0n;
  for (const i of indices) {
    const d = after[i]!.stake - before[i]!.stake;
    if (d < 0n) burned -= d;
    else rewarded += d;
  }
  return { burned, rewarded };
}

/** The summed balance of `indices`. */
export function stakeOf(records: readonly ValidatorRecord[], indices: readonly number[]): bigint {
  return indices.reduce((n, i) => n + records[i]!.stake, 0n);
}

/** One epoch of a leak prediction: the state after the end of `epoch` was processed. */
export interface LeakStep {
  epoch: number;
  finalized: number;
  /** The epoch was processed in the inactivity leak. */
  leaking: boolean;
  /** The absent validators' summed balance. */
  absentStake: bigint;
  absentMaxScore: number;
  absentActive: number;
}

/** What the leak does when `absent` validators stop voting at the start of `from`. */
export interface LeakPrediction {
  steps: LeakStep[];
  /** Epochs from `from` until a node's clock shows a finalized epoch ≥ from (undefined: not within the horizon). */
  restoreEpochs: number | undefined;
  /** Epochs processed in the leak before finality came back. */
  leakEpochs: number;
}

const epochOrFar = (e: number | null): number => e ?? FAR_FUTURE_EPOCH;

function toValidator(r: ValidatorRecord): Validator {
  return {
    publicKey: fromHex(r.publicKey),
    withdrawal: new Uint8Array(20),
    stake: r.stake,
    effective: r.effective,
    eligibilityEpoch: 0,
    activationEpoch: epochOrFar(r.activationEpoch),
    exitEpoch: epochOrFar(r.exitEpoch),
    withdrawableEpoch: epochOrFar(r.withdrawableEpoch),
    slashed: r.slashed,
    inactivityScore: r.inactivityScore,
    previousFlags: 0,
    currentFlags: 0,
  };
}

const checkpoint = (epoch: number) => ({ epoch, root: ZERO_HASH });

/**
 * Iterates processEpoch from the last justified epoch on, every validator voting until `from` and
 * only the present ones from `from` on, until finality reaches `from` or `horizon` epochs pass. The
 * registry is the measured one. Votes are included one slot after they are cast (so those of an
 * epoch's last slot count as the next epoch's late votes; validator i votes in slot (i + epoch) mod
 * slotsPerEpoch, a stand-in for the seeded shuffle); no epoch is blockless.
 */
export function predictLeak(
  params: PosParams,
  records: readonly ValidatorRecord[],
  absent: ReadonlySet<number>,
  start: { from: number; justified: number; finalized: number },
  horizon: number,
): LeakPrediction {
  const validators = records.map(toValidator);
  const justified = start.justified;
  // The state just after the end of epoch `justified` was processed.
  let bits = 0;
  for (let k = 0; k < 4; k++) if (justified - k >= start.finalized) bits |= 1 << k;
  const pos: PosState = {
    slot: (justified + 1) * params.slotsPerEpoch,
    randaoMix: ZERO_HASH,
    seeds: [ZERO_HASH, ZERO_HASH, ZERO_HASH],
    justificationBits: bits,
    previousJustified: checkpoint(Math.max(start.finalized, justified - 1)),
    currentJustified: checkpoint(justified),
    finalized: checkpoint(start.finalized),
    validatorCount: validators.length,
    exitQueueEpoch: 0,
    exitQueueChurn: 0,
    rewardPool: 0n,
    slashings: new Array<bigint>(params.slashingsWindowEpochs).fill(0n),
  };
  const E = params.slotsPerEpoch;
  const voted = FLAG_INCLUDED | FLAG_TARGET;
  for (const v of validators) v.previousFlags = voted;
  // A vote of an epoch's last slot is included by the next slot's block: in the next epoch.
  let late = new Set<number>();
  const steps: LeakStep[] = [];
  let leakEpochs = 0;
  const ctx = { rootAtSlot: () => ZERO_HASH, credit: () => {} };
  for (let epoch = justified + 1; epoch < start.from + horizon; epoch++) {
    const lateNow = new Set<number>();
    validators.forEach((v, i) => {
      if (late.has(i)) v.previousFlags |= voted;
      const votes = (epoch < start.from || !absent.has(i)) && isActive(v, epoch);
      const lastSlot = (i + epoch) % E === E - 1 && E > 1;
      if (votes && lastSlot) lateNow.add(i);
      v.currentFlags = votes && !lastSlot ? voted : 0;
    });
    late = lateNow;
    processEpoch(validators, pos, epoch, params, ctx);
    const leaking = isInLeak(pos, epoch, params);
    if (epoch >= start.from && leaking) leakEpochs++;
    const mine = validators.filter((_, i) => absent.has(i));
    steps.push({
      epoch,
      finalized: pos.finalized.epoch,
      leaking,
      absentStake: mine.reduce((n, v) => n + v.stake, 0n),
      absentMaxScore: Math.max(0, ...mine.map((v) => v.inactivityScore)),
      absentActive: mine.filter((v) => isActive(v, epoch + 1)).length,
    });
    // A node shows the finality of epoch e's processing from the clock's epoch e + 1 on.
    if (pos.finalized.epoch >= start.from)
      return { steps, restoreEpochs: epoch + 1 - start.from, leakEpochs };
  }
  return { steps, restoreEpochs: undefined, leakEpochs };
}

/**
 * Where tx `id` sits on the canonical chain of the node behind `c` above `fromHeight` (and at most
 * at `toHeight`), if it does.
 */
export async function findCanonicalTx(
  c: RpcClient,
  id: string,
  fromHeight: number,
  toHeight = Number.POSITIVE_INFINITY,
): Promise<{ height: number; slot: number } | undefined> {
  const head = await readHead(c);
  for (const b of await canonicalBlocks(c, fromHeight, Math.min(toHeight, head.height))) {
    if (b.txs.includes(id)) return { height: b.height, slot: (b as unknown as BlockEngine).engine.slot };
  }
  return undefined;
}

interface BlockEngine {
  engine: { slot: number };
}

/** Waits until the node's clock is in the first slot of an epoch; returns that status. */
export function waitForEpochStart(
  c: RpcClient,
  slotsPerEpoch: number,
  timeoutMs: number,
): Promise<PosStatusView> {
  return pollUntil(
    "the first slot of an epoch",
    async () => {
      const s = await readPosStatus(c);
      return s.slot % slotsPerEpoch === 0 ? s : undefined;
    },
    timeoutMs,
    10,
  );
}

/** The thresholds of the theory: halting finality, censoring through the fork choice, finalizing alone. */
export function theoryOf(share: number): { halts: boolean; censors: boolean; finalizesAlone: boolean } {
  return { halts: 3 * share > 1, censors: 2 * share > 1, finalizesAlone: 3 * share >= 2 };
}

/** Every genesis validator at its genesis stake, active, with no inactivity score. */
export function genesisRecords(params: PosParams): ValidatorRecord[] {
  return params.validators.map((v, index) => ({
    index,
    publicKey: toHex(v.publicKey),
    stake: v.stake,
    effective: v.stake - (v.stake % params.effectiveIncrement),
    activationEpoch: 0,
    exitEpoch: null,
    withdrawableEpoch: null,
    slashed: false,
    inactivityScore: 0,
    status: "active",
  }));
}

/** The leak predicted from genesis for the first `a` validators abstaining (steady finality before). */
export function genesisLeak(params: PosParams, a: number, horizon: number): LeakPrediction {
  const absent = new Set(Array.from({ length: a }, (_, i) => i));
  return predictLeak(
    params,
    genesisRecords(params),
    absent,
    { from: 10, justified: 9, finalized: 8 },
    horizon,
  );
}

const OUTCOMES = [
  { key: "halted", label: "finality halts (abstaining)", theory: "halts" },
  { key: "finalizedAlone", label: "finalizes alone (partitioned)", theory: "finalizesAlone" },
  { key: "censored", label: "censors the transfer (fork choice)", theory: "censors" },
] as const;

const RULES = [
  { x: 1 / 3, label: "1/3" },
  { x: 1 / 2, label: "1/2" },
  { x: 2 / 3, label: "2/3" },
];

/** The three outcomes (measured rate per share against the theory's step), the leak's epochs and its burn. */
export function posMajorityCharts(
  records: readonly TrialRecord[],
  params: PosParams,
  validators: number,
  horizon: number,
): ChartSpec[] {
  const shares = [...new Set(records.map((r) => r.data.share as number))].sort((x, y) => x - y);
  const grid = Array.from({ length: 91 }, (_, i) => 0.05 + i / 100);
  const outcomes: ChartSpec = {
    file: "pos-majority",
    title: "PoS majority attacks by stake share (real chainlab nodes)",
    xTitle: "attacker stake share s",
    yTitle: "fraction of trials",
    seriesTitle: "outcome",
    theory: OUTCOMES.flatMap((o) =>
      grid.map((x) => ({ x, y: theoryOf(x)[o.theory] ? 1 : 0, series: o.label })),
    ),
    measured: OUTCOMES.flatMap((o) =>
      shares.map((x) => {
        const mine = records.filter((r) => r.data.share === x);
        const ci = wilsonInterval(mine.filter((r) => r.data[o.key] === true).length, mine.length);
        return { x, y: ci.estimate, lo: ci.lo, hi: ci.hi, series: o.label, trials: mine.length };
      }),
    ),
    rules: RULES,
  };
  const theory = Array.from({ length: validators - 1 }, (_, i) => {
    const a = i + 1;
    const p = genesisLeak(params, a, horizon);
    const last = p.steps[p.steps.length - 1]!;
    const start = BigInt(a) * (params.validators[0]?.stake ?? 0n);
    return {
      x: a / validators,
      restore: p.restoreEpochs,
      burned: start === 0n ? 0 : 1 - Number(last.absentStake) / Number(start),
    };
  });
  const measured = (y: (r: TrialRecord) => number | null, series: string) =>
    records.flatMap((r) => {
      const v = y(r);
      return v === null ? [] : [{ x: r.data.share as number, y: v, lo: v, hi: v, series, trials: 1 }];
    });
  const epochs: ChartSpec = {
    file: "pos-majority-leak",
    title: "Epochs until honest finality returns after the attacker abstains",
    xTitle: "attacker stake share s",
    yTitle: "epochs (clock epoch of finality − abstention epoch)",
    seriesTitle: "series",
    linearY: true,
    theory: theory.flatMap((t) =>
      t.restore === undefined ? [] : [{ x: t.x, y: t.restore, series: "epoch.ts iterated" }],
    ),
    measured: measured((r) => r.data.restoreEpochs as number | null, "epoch.ts iterated"),
    rules: RULES,
  };
  const burn: ChartSpec = {
    file: "pos-majority-burn",
    title: "Attacker stake burned by the inactivity leak until finality returns",
    xTitle: "attacker stake share s",
    yTitle: "fraction of the attacker's stake",
    seriesTitle: "series",
    linearY: true,
    theory: theory.map((t) => ({ x: t.x, y: t.burned, series: "epoch.ts iterated" })),
    measured: measured((r) => {
      const b = r.data.burnedInAbstention as { attacker: { burned: string } };
      return Number(b.attacker.burned) / Number(r.data.attackerStakeStart as string);
    }, "epoch.ts iterated"),
    rules: RULES,
  };
  return [outcomes, epochs, burn];
}

const yesNo = (b: unknown): string => (b === true ? "yes" : "no");

/** One Markdown row per trial: the three outcomes with their measurements beside the theory. */
export function posMajorityTable(records: readonly TrialRecord[]): string {
  const head =
    "| s (share) | halts? (theory) | epochs to finality: measured / predicted | leak ran | finalizes alone? (theory) | censored? (theory) | kept branch | inclusion delay (slots) | attacker burned (coins): abstaining / partitioned | honest burned (coins) |";
  const rows = [...records]
    .sort((x, y) => (x.data.share as number) - (y.data.share as number))
    .map((r) => {
      const d = r.data;
      const t = theoryOf(d.share as number);
      const ab = d.burnedInAbstention as Record<string, { burned: string }>;
      const pb = d.burnedInPartition as Record<string, { burned: string }>;
      return `| ${d.s} (${d.attackerValidators}/${d.validators}) | ${yesNo(d.halted)} (${yesNo(t.halts)}) | ${d.restoreEpochs ?? "not within the horizon"} / ${d.predictedRestoreEpochs ?? "beyond the horizon"} | ${yesNo(d.leakRan)} | ${yesNo(d.finalizedAlone)} (${yesNo(t.finalizesAlone)}) | ${yesNo(d.censored)} (${yesNo(t.censors)}) | ${d.keptBranch} | ${d.inclusionDelaySlots ?? "not included"} | ${coins(ab.attacker!.burned)} / ${coins(pb.attacker!.burned)} | ${coins((BigInt(ab.honest!.burned) + BigInt(pb.honest!.burned)).toString())} |`;
    });
  return [head, `|${" --- |".repeat(10)}`, ...rows].join("\n");
}
