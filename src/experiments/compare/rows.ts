/** The comparison table: one row per measure, a PoW and a PoS cell, and what the row means. */

import { coins } from "../report/units.ts";
import type { SideMeasures } from "./measures.ts";

export { coins };

/** Where a cell's figure comes from. */
export type Basis = "measured" | "theory" | "theory on measured" | "by construction";

/** One cell: the text shown, the number it stands for (if one), and its basis. */
export interface Cell {
  text: string;
  value: number | null;
  basis: Basis;
}

/** One row of the table. */
export interface Row {
  id: string;
  measure: string;
  pow: Cell;
  pos: Cell;
  meaning: string;
}

const num = (x: number, digits = 3): string =>
  !Number.isFinite(x) ? "-" : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : x.toFixed(digits);
const sec = (ms: number | null): string =>
  ms === null || !Number.isFinite(ms) ? "-" : `${(ms / 1000).toFixed(2)} s`;
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const cell = (text: string, value: number | null, basis: Basis): Cell => ({ text, value, basis });

/** The rows of the comparison of `pow` and `pos`. */
export function compareRows(pow: SideMeasures, pos: SideMeasures): Row[] {
  const rows: Row[] = [];
  const add = (id: string, measure: string, a: Cell, b: Cell, meaning: string) =>
    rows.push({ id, measure, pow: a, pos: b, meaning });
  const cpu = (m: SideMeasures) =>
    cell(`${num(m.cpuSecondsPerBlock)} s (${m.windowBlocks} blocks)`, m.cpuSecondsPerBlock, "measured");
  add(
    "cpu-per-block",
    "CPU-seconds per block, all nodes",
    cpu(pow),
    cpu(pos),
    "The energy proxy: the CPU every node process spent per block under the same load; PoW's extra is the hashing.",
  );
  add(
    "hashes-per-block",
    "Hashes per block",
    cell(
      `${num(pow.hashesPerBlock)} (difficulty ${num(pow.expectedHashesPerBlock ?? Number.NaN)})`,
      pow.hashesPerBlock,
      "measured",
    ),
    cell("0 (no sealer runs)", pos.hashesPerBlock, "by construction"),
    "The work burned per block: PoW's security is this work, PoS spends none on producing blocks.",
  );
  const mean = (m: SideMeasures) =>
    cell(`${sec(m.intervalMs.mean)} (n = ${m.intervalMs.n})`, m.intervalMs.mean / 1000, "measured");
  add(
    "interval-mean",
    "Block interval, mean",
    mean(pow),
    mean(pos),
    "Both chains aim at the same interval; the mean shows how close each came.",
  );
  const spread = (m: SideMeasures, model: string) =>
    cell(`sd ${sec(m.intervalMs.sd)}, CV ${num(m.intervalMs.cv, 2)} (${model})`, m.intervalMs.cv, "measured");
  add(
    "interval-cv",
    "Block interval, spread (CV = sd / mean)",
    spread(pow, "exponential: 1"),
    spread(pos, "slot clock: 0 unless slots are missed"),
    "PoW blocks arrive as a Poisson process, PoS blocks on a clock: PoS's interval is predictable, PoW's is not.",
  );
  const stale = (m: SideMeasures) =>
    cell(
      `${pct(m.staleRate)} (${m.stale} of ${m.produced} produced; ${m.reorgs} reorgs seen)`,
      m.staleRate,
      "measured",
    );
  add(
    "stale-rate",
    "Stale / orphan rate",
    stale(pow),
    stale(pos),
    "The share of produced blocks that did not end up canonical: work or proposals lost to forks.",
  );
  const conf = pow.confirmations ?? [];
  const fin = pos.finalityMs;
  add(
    "finality",
    "Time to finality",
    cell(
      conf.map((c) => `q = ${c.q}: ${c.z} conf. ≈ ${c.seconds.toFixed(1)} s`).join("; "),
      conf.at(-1)?.seconds ?? null,
      "theory on measured",
    ),
    cell(
      fin && fin.n > 0
        ? `p50 ${sec(fin.p50)}, mean ${sec(fin.mean)}, p95 ${sec(fin.p95)} (${fin.measuredBlocks} of ${fin.windowBlocks} blocks)`
        : "not reached",
      fin && fin.n > 0 ? fin.p50 / 1000 : null,
      "measured",
    ),
    "When a payment is irreversible: PoW only in probability (P < 0.1% against share q, whitepaper §11, times the measured interval), PoS once its checkpoint is finalized.",
  );
  const issued = (m: SideMeasures) =>
    cell(
      `${coins(m.supply.perThousandBlocks)} coins`,
      Number(BigInt(m.supply.perThousandBlocks)) / 1e8,
      "measured",
    );
  add(
    "issuance",
    "Issuance per 1,000 blocks",
    issued(pow),
    issued(pos),
    "New coins per 1,000 blocks, from every balance and stake at the head against the genesis supply.",
  );
  const infl = (m: SideMeasures) =>
    cell(
      `${pct(m.supply.inflationPerThousandBlocks)} of ${coins(m.supply.genesis)} coins`,
      m.supply.inflationPerThousandBlocks,
      "measured",
    );
  add(
    "inflation",
    "Inflation per 1,000 blocks",
    infl(pow),
    infl(pos),
    "Issuance as a share of the genesis supply: what holders are diluted by to pay for security.",
  );
  add(
    "rewards",
    "Rewards to producers per block",
    cell(
      `${coins(pow.rewards.perBlock)} coins (total: subsidy ${coins(pow.rewards.subsidy)} + fees ${coins(pow.rewards.fees)})`,
      Number(BigInt(pow.rewards.perBlock)) / 1e8,
      "measured",
    ),
    cell(
      `${coins(pos.rewards.perBlock)} coins (total: fees ${coins(pos.rewards.fees)} + attestation ${coins(pos.rewards.attestation)})`,
      Number(BigInt(pos.rewards.perBlock)) / 1e8,
      "measured",
    ),
    "What producing pays: PoW mints a block reward on top of fees; PoS pays fees and attestation rewards from a pool without new issuance (the default).",
  );
  const a = pos.attack.kind === "pos" ? pos.attack : undefined;
  add(
    "majority-cost",
    "Cost of a majority attack",
    cell(
      `> 1/2 of the hashrate: > ${num(pow.hashrate)} h/s of the testnet's (measured) total, added`,
      pow.hashrate,
      "theory on measured",
    ),
    cell(
      a
        ? `> 1/3 halts finality: > ${coins(a.haltFinality)} of ${coins(a.activeStake)} coins staked (bonded anew: > ${coins(a.haltFinalityNew)}); ≥ 2/3 finalizes alone: ${coins(a.finalizeAlone)} (anew: ${coins(a.finalizeAloneNew)})`
        : "-",
      a ? Number(BigInt(a.haltFinality)) / 1e8 : null,
      "theory on measured",
    ),
    "What an attacker must control, in each system's own resource: a rate of hashing it keeps paying for, or stake it must own.",
  );
  add(
    "slashed",
    "Stake slashed by a safety attack",
    cell(
      "0: nothing is at stake (the cost is the hashing, spent whether or not the attack succeeds)",
      0,
      "by construction",
    ),
    cell(
      a
        ? `${coins(a.slashedAtOneThird)} coins (${a.slashingOffenders} validators holding ≥ 1/3 double-vote)`
        : "-",
      a ? Number(BigInt(a.slashedAtOneThird)) / 1e8 : null,
      "theory on measured",
    ),
    "Conflicting finalized checkpoints need ≥ 1/3 of the stake to double-vote; the node's slashing rules then burn this much of it.",
  );
  const ds = pos.safety;
  add(
    "double-spend",
    `Double-spend success, q = ${pow.doubleSpend.q}, z = ${pow.doubleSpend.z}`,
    cell(
      `${num(pow.doubleSpend.exact ?? Number.NaN, 4)} (exact race; whitepaper Poisson ${num(pow.doubleSpend.whitepaper ?? Number.NaN, 4)})`,
      pow.doubleSpend.exact ?? null,
      "theory",
    ),
    cell(
      `0 once finalized, unless ≥ 1/3 of the stake is slashed (q = ${pos.doubleSpend.q} < 1/3)${ds ? `; measured: ${ds.finalizedAgree ? "every node finalized the same checkpoint" : "nodes finalized DIFFERENT checkpoints"}, ${ds.slashedValidators} slashed` : ""}`,
      0,
      "theory",
    ),
    "The chance an attacker with 30% reverses a payment after 6 blocks: PoW leaves a real risk; PoS's finality rules it out unless validators holding a third of the stake double-vote and are slashed.",
  );
  const tps = (m: SideMeasures) =>
    cell(
      `${num(m.throughput.includedTps, 2)} tx/s (${m.throughput.included} of ${m.throughput.submitted} included)`,
      m.throughput.includedTps,
      "measured",
    );
  add(
    "throughput",
    "Throughput, tx/s included",
    tps(pow),
    tps(pos),
    "Under the same offered load both chains should keep up; a shortfall shows the engine's overhead.",
  );
  const lat = (m: SideMeasures) =>
    cell(
      `p50 ${sec(m.throughput.latencyP50Ms)}, p95 ${sec(m.throughput.latencyP95Ms)}`,
      m.throughput.latencyP50Ms,
      "measured",
    );
  add(
    "inclusion-latency",
    "Inclusion latency, p50 / p95",
    lat(pow),
    lat(pos),
    "From submission to the first block that holds the tx: set by the interval and by how much it varies.",
  );
  return rows;
}
