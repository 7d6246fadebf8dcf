/**
 * The measures of one side of a comparison, computed from what run-one.ts read (pure: no I/O).
 * Each says where it comes from: `measured` on the testnet, `theory` (a closed form), or a closed
 * form applied to a measured figure.
 */
import { parsePosParams } from "../../consensus/pos/audit.ts";
import type { Json } from "../../core/genesis.ts";
import { exactDoubleSpendSuccess, nakamotoSuccess } from "../stats/index.ts";
import type { RawRun } from "./run-one.ts";

/** Summary of a sample. */
export interface SampleStats {
  n: number;
  mean: number;
  sd: number;
  /** Coefficient of variation, sd / mean. */
  cv: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of a sorted sample. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Mean, sample standard deviation, CV and percentiles of `xs`. */
export function sampleStats(xs: readonly number[]): SampleStats {
  const n = xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const mean = n === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return {
    n,
    mean,
    sd,
    cv: mean > 0 ? sd / mean : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** The attacker shares the PoW finality row is computed at. */
export const FINALITY_SHARES = [0.1, 0.2, 0.3] as const;
/** The attacker's success probability a merchant accepts (the whitepaper's table: P < 0.1%). */
export const FINALITY_RISK = 0.001;
/** The fixed double-spend case of the comparison. */
export const DOUBLE_SPEND = { q: 0.3, z: 6 } as const;

/** The fewest confirmations z with Nakamoto's P(q, z) below `risk` (whitepaper §11). */
export function confirmationsFor(q: number, risk = FINALITY_RISK): number {
  for (let z = 0; z <= 10_000; z++) if (nakamotoSuccess(q, z) < risk) return z;
  throw new RangeError(`no z up to 10000 gives P < ${risk} at q = ${q}`);
}

/** PoS: the smallest set of validators, largest first, holding at least 1/3 of the active stake. */
function oneThirdSet(effective: readonly bigint[]): bigint[] {
  const total = effective.reduce((s, e) => s + e, 0n);
  const sorted = [...effective].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const out: bigint[] = [];
  let sum = 0n;
  for (const e of sorted) {
    if (3n * sum >= total) break;
    out.push(e);
    sum += e;
  }
  return out;
}

/**
 * What slashing takes from validators holding 1/3 of the stake who double-vote together (the
 * least a safety violation needs): per offender the initial penalty effective /
 * minSlashingPenaltyQuotient, and the correlation penalty (effective / increment) ×
 * min(slashed × multiplier, total) / total × increment, the node's rules (slashing.ts, epoch.ts).
 */
export function slashedAtOneThird(
  effective: readonly bigint[],
  p: {
    minSlashingPenaltyQuotient: number;
    proportionalSlashingMultiplier: number;
    effectiveIncrement: bigint;
  },
): { offenders: number; offenderStake: bigint; slashed: bigint } {
  const total = effective.reduce((s, e) => s + e, 0n);
  const set = oneThirdSet(effective);
  const slashedSum = set.reduce((s, e) => s + e, 0n);
  const adjusted = slashedSum * BigInt(p.proportionalSlashingMultiplier);
  const capped = adjusted < total ? adjusted : total;
  let slashed = 0n;
  for (const e of set) {
    const initial = e / BigInt(p.minSlashingPenaltyQuotient);
    const correlation =
      total === 0n ? 0n : (((e / p.effectiveIncrement) * capped) / total) * p.effectiveIncrement;
    slashed += initial + (correlation < e - initial ? correlation : e - initial);
  }
  return { offenders: set.length, offenderStake: slashedSum, slashed };
}

/** Every measure of one side. Amounts are base units (decimal strings); times in ms. */
export interface SideMeasures {
  consensus: RawRun["consensus"];
  windowBlocks: number;
  windowSeconds: number;
  cpuSecondsPerBlock: number;
  cpuSecondsPerBlockByNode: number[];
  hashesPerBlock: number;
  /** PoW: measured hashes/s of all miners over the window; PoS: 0. */
  hashrate: number;
  /** PoW: the chain's difficulty (expected hashes per block). */
  expectedHashesPerBlock?: number;
  intervalMs: SampleStats;
  intervalsMs: number[];
  produced: number;
  canonical: number;
  stale: number;
  staleRate: number;
  reorgs: number;
  /** PoS: from a block's time to the poll that first saw it finalized. */
  finalityMs?: SampleStats & { measuredBlocks: number; windowBlocks: number };
  /** PoW: confirmations for P < 0.1% and their time at the measured mean interval. */
  confirmations?: { q: number; z: number; seconds: number }[];
  supply: {
    genesis: string;
    end: string;
    issued: string;
    perThousandBlocks: string;
    inflationPerThousandBlocks: number;
  };
  rewards: {
    subsidy: string;
    fees: string;
    feesInBlocks: string;
    attestation: string;
    total: string;
    perBlock: string;
  };
  attack:
    | { kind: "pow"; hashrate: number; share: 0.5 }
    | {
        kind: "pos";
        activeStake: string;
        activeValidators: number;
        haltFinality: string;
        finalizeAlone: string;
        haltFinalityNew: string;
        finalizeAloneNew: string;
        slashedAtOneThird: string;
        slashingOffenders: number;
      };
  doubleSpend: { q: number; z: number; exact?: number; whitepaper?: number; afterFinality?: 0 };
  /** PoS: whether every node finalized the same checkpoint at the end, and whether any validator was slashed. */
  safety?: { finalizedAgree: boolean; slashedValidators: number };
  throughput: {
    submitted: number;
    included: number;
    includedTps: number;
    submittedTps: number;
    latencyP50Ms: number | null;
    latencyP95Ms: number | null;
  };
}

const sumBig = (xs: Iterable<string | bigint>): bigint => {
  let s = 0n;
  for (const x of xs) s += BigInt(x);
  return s;
};

/** Computes the measures of one run. */
export function measureRun(run: RawRun): SideMeasures {
  const w = run.window;
  const windowBlocks = w.toHeight - w.fromHeight;
  const cpuByNode = w.cpuEnd.map((c, i) => (c - w.cpuStart[i]!) / windowBlocks);
  const hashes = w.hashesEnd !== undefined && w.hashesStart !== undefined ? w.hashesEnd - w.hashesStart : 0;
  const windowSeconds = (w.endedAt - w.startedAt) / 1000;
  const byHeight = new Map(run.blocks.map((b) => [b.height, b]));
  const intervalsMs: number[] = [];
  for (let h = w.fromHeight + 1; h <= w.toHeight; h++) {
    intervalsMs.push(byHeight.get(h)!.timestamp - byHeight.get(h - 1)!.timestamp);
  }
  const intervalMs = sampleStats(intervalsMs);
  const produced = run.produced.reduce((s, x) => s + x, 0);
  const canonical = run.head.height;
  const stale = Math.max(0, produced - canonical);

  const feesInBlocks = sumBig(run.blocks.map((b) => b.fees));
  const producerBalances = sumBig(run.producerAddresses.map((a) => run.balances[a] ?? "0"));
  const supplyGenesis = BigInt(run.genesis.alloc) + BigInt(run.genesis.stake);
  const stakeEnd = sumBig((run.validators ?? []).map((v) => v.stake));
  const supplyEnd = sumBig(Object.values(run.balances)) + stakeEnd;
  const issued = supplyEnd - supplyGenesis;
  const attestation = run.consensus === "pos" ? stakeEnd - BigInt(run.genesis.stake) : 0n;
  // PoW coinbases hold the subsidy and the fees of their blocks; PoS beneficiaries only fees.
  const subsidy = run.consensus === "pow" ? producerBalances - feesInBlocks : 0n;
  const fees = run.consensus === "pow" ? feesInBlocks : producerBalances;
  const rewardTotal = subsidy + fees + attestation;
  const perThousand = canonical > 0 ? (issued * 1000n) / BigInt(canonical) : 0n;

  const base: Omit<SideMeasures, "attack" | "doubleSpend"> = {
    consensus: run.consensus,
    windowBlocks,
    windowSeconds,
    cpuSecondsPerBlock: cpuByNode.reduce((s, x) => s + x, 0),
    cpuSecondsPerBlockByNode: cpuByNode,
    hashesPerBlock: hashes / windowBlocks,
    hashrate: windowSeconds > 0 ? hashes / windowSeconds : 0,
    ...(run.difficulty !== undefined ? { expectedHashesPerBlock: Number(run.difficulty) } : {}),
    intervalMs,
    intervalsMs,
    produced,
    canonical,
    stale,
    staleRate: produced > 0 ? stale / produced : 0,
    reorgs: run.reorgs.reduce((s, x) => s + x, 0),
    supply: {
      genesis: supplyGenesis.toString(),
      end: supplyEnd.toString(),
      issued: issued.toString(),
      perThousandBlocks: perThousand.toString(),
      inflationPerThousandBlocks: supplyGenesis > 0n ? Number(perThousand) / Number(supplyGenesis) : 0,
    },
    rewards: {
      subsidy: subsidy.toString(),
      fees: fees.toString(),
      feesInBlocks: feesInBlocks.toString(),
      attestation: attestation.toString(),
      total: rewardTotal.toString(),
      perBlock: canonical > 0 ? (rewardTotal / BigInt(canonical)).toString() : "0",
    },
    throughput: {
      submitted: run.load.submitted,
      included: run.load.included,
      includedTps: run.load.includedTps,
      submittedTps: run.load.submittedTps,
      latencyP50Ms: run.load.latencyMs.p50,
      latencyP95Ms: run.load.latencyMs.p95,
    },
  };
  if (run.consensus === "pow") {
    return {
      ...base,
      confirmations: FINALITY_SHARES.map((q) => {
        const z = confirmationsFor(q);
        return { q, z, seconds: (z * intervalMs.mean) / 1000 };
      }),
      attack: { kind: "pow", hashrate: base.hashrate, share: 0.5 },
      doubleSpend: {
        ...DOUBLE_SPEND,
        exact: exactDoubleSpendSuccess(DOUBLE_SPEND.q, DOUBLE_SPEND.z),
        whitepaper: nakamotoSuccess(DOUBLE_SPEND.q, DOUBLE_SPEND.z),
      },
    };
  }
  return { ...base, ...posMeasures(run) };
}

function posMeasures(run: RawRun): Pick<SideMeasures, "finalityMs" | "attack" | "doubleSpend" | "safety"> {
  const w = run.window;
  const polls = run.finalityPolls ?? [];
  const latencies: number[] = [];
  for (const b of run.blocks) {
    if (b.height <= w.fromHeight || b.height > w.toHeight) continue;
    const seen = polls.find((p) => p.height >= b.height);
    if (seen !== undefined) latencies.push(seen.at - b.timestamp);
  }
  const params = parsePosParams(run.genesis.params as Record<string, Json>);
  const effective = (run.validators ?? []).filter((v) => !v.slashed).map((v) => BigInt(v.effective));
  const active = BigInt(run.activeStake ?? "0");
  const slash = slashedAtOneThird(effective, params);
  const finals = run.finalizedAtEnd ?? [];
  const roots = new Map<number, Set<string>>();
  for (const f of finals) roots.set(f.epoch, (roots.get(f.epoch) ?? new Set()).add(f.root));
  return {
    finalityMs: {
      ...sampleStats(latencies),
      measuredBlocks: latencies.length,
      windowBlocks: w.toHeight - w.fromHeight,
    },
    attack: {
      kind: "pos",
      activeStake: active.toString(),
      activeValidators: run.activeValidators ?? 0,
      // Of the existing stake: more than S/3 halts finality, 2S/3 or more finalizes alone; an
      // outsider bonding new stake A needs A/(S+A) above those: A > S/2 and A >= 2S.
      haltFinality: (active / 3n).toString(),
      finalizeAlone: ((2n * active + 2n) / 3n).toString(),
      haltFinalityNew: (active / 2n).toString(),
      finalizeAloneNew: (2n * active).toString(),
      slashedAtOneThird: slash.slashed.toString(),
      slashingOffenders: slash.offenders,
    },
    doubleSpend: { ...DOUBLE_SPEND, afterFinality: 0 },
    safety: {
      finalizedAgree: [...roots.values()].every((s) => s.size === 1),
      slashedValidators: (run.validators ?? []).filter((v) => v.slashed).length,
    },
  };
}
