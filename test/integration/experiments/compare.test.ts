/**
 * chainlab compare --quick: a PoW and a PoS testnet of real node processes under the same load;
 * the report is complete (every row filled in both columns), its files are written, and its
 * figures agree with each other and with the chains' rules.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/main.ts";
import { type CompareReport, runCompare } from "../../../src/experiments/compare/index.ts";
import {
  confirmationsFor,
  sampleStats,
  slashedAtOneThird,
} from "../../../src/experiments/compare/measures.ts";
import { readPromValue } from "../../../src/experiments/compare/probes.ts";
import { coins } from "../../../src/experiments/compare/rows.ts";

const COIN = 100_000_000n;
let out: string;
let report: CompareReport;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "chainlab-compare-"));
  ({ report } = await runCompare({ out, quick: true, seed: 7 }));
}, 240_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe("compare --quick", () => {
  it("fills every row in both columns and writes report.json, report.md and the charts", async () => {
    const ids = report.rows.map((r) => r.id);
    expect(ids).toEqual([
      "cpu-per-block",
      "hashes-per-block",
      "interval-mean",
      "interval-cv",
      "stale-rate",
      "finality",
      "issuance",
      "inflation",
      "rewards",
      "majority-cost",
      "slashed",
      "double-spend",
      "throughput",
      "inclusion-latency",
    ]);
    for (const row of report.rows) {
      for (const c of [row.pow, row.pos]) {
        expect(c.text.length, `${row.id}`).toBeGreaterThan(0);
        expect(c.text, `${row.id}`).not.toMatch(/^-$|NaN|not reached|undefined/);
        expect(c.value, `${row.id}`).not.toBeNull();
        expect(Number.isFinite(c.value), `${row.id}`).toBe(true);
      }
      expect(row.meaning.length).toBeGreaterThan(20);
    }
    const json = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(json.kind).toBe("compare");
    expect(json.rows).toEqual(JSON.parse(JSON.stringify(report.rows)));
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("| Measure | PoW | PoS | What it means |");
    for (const row of report.rows) expect(md).toContain(row.measure.replace(/\|/g, "\\|"));
    for (const f of ["block-intervals", "cpu-per-block", "inclusion-latency", "finality"]) {
      expect((await readFile(join(out, `${f}.svg`), "utf8")).startsWith("<svg")).toBe(true);
    }
  });

  it("has sane relations between the engines and agrees with the chains' rules", () => {
    const { pow, pos } = report.measures;
    // Work: PoW hashes, PoS does not; the PoW miners hashed about what the difficulty asks per block.
    expect(pow.hashesPerBlock).toBeGreaterThan(0);
    expect(pos.hashesPerBlock).toBe(0);
    expect(pow.cpuSecondsPerBlock).toBeGreaterThan(0);
    expect(pos.cpuSecondsPerBlock).toBeGreaterThan(0);
    for (const m of [pow, pos]) {
      expect(m.windowBlocks).toBeGreaterThanOrEqual(report.options.blocks);
      expect(m.intervalsMs).toHaveLength(m.windowBlocks);
      expect(m.staleRate).toBeGreaterThanOrEqual(0);
      expect(m.staleRate).toBeLessThan(1);
      expect(m.produced).toBeGreaterThanOrEqual(m.canonical);
      expect(m.throughput.included).toBeGreaterThan(0);
      // Every load tx pays a fee of 1 unit, and the fees in the blocks are what the producers got.
      const txs = report.runs[m.consensus].blocks.reduce((s, b) => s + b.txCount, 0);
      expect(BigInt(m.rewards.feesInBlocks)).toBe(BigInt(txs));
      expect(BigInt(m.rewards.fees)).toBe(BigInt(txs));
    }
    // PoS blocks sit on slot starts: every interval is a whole number of slots.
    for (const ms of pos.intervalsMs) expect(ms % report.options.blockMs).toBe(0);
    // PoS finality was measured for every block of the window; PoW's is the whitepaper's table.
    expect(pos.finalityMs?.measuredBlocks).toBe(pos.finalityMs?.windowBlocks);
    expect(pos.finalityMs!.p50).toBeGreaterThan(0);
    expect(pow.confirmations?.map((c) => c.z)).toEqual([5, 11, 24]);
    // Issuance read from the chain: PoW mints exactly the genesis block reward per block, PoS nothing.
    const reward = BigInt(report.runs.pow.genesis.params.blockReward as string);
    expect(BigInt(pow.supply.issued)).toBe(reward * BigInt(pow.canonical));
    expect(BigInt(pow.rewards.subsidy)).toBe(BigInt(pow.supply.issued));
    expect(BigInt(pos.supply.issued)).toBeLessThanOrEqual(0n);
    expect(BigInt(pos.rewards.subsidy)).toBe(0n);
    // Attack costs: thresholds in the testnet's own stake, slashing takes part of the third's stake.
    const a = pos.attack;
    if (a.kind !== "pos") throw new Error("PoS attack measures missing");
    const stake = BigInt(a.activeStake);
    expect(stake).toBe(BigInt(report.runs.pos.genesis.stake));
    expect(BigInt(a.haltFinality) * 3n).toBeLessThanOrEqual(stake);
    expect(BigInt(a.finalizeAlone) * 3n).toBeGreaterThanOrEqual(2n * stake);
    expect(BigInt(a.slashedAtOneThird)).toBeGreaterThan(0n);
    expect(BigInt(a.slashedAtOneThird) * 3n).toBeLessThanOrEqual(stake);
    expect(pow.attack.kind === "pow" && pow.attack.hashrate).toBeGreaterThan(0);
    // The hash counters count what the difficulty asks for, not some other unit (loose: ~10 blocks).
    expect(pow.hashesPerBlock).toBeGreaterThan(pow.expectedHashesPerBlock! / 10);
    expect(pow.hashesPerBlock).toBeLessThan(pow.expectedHashesPerBlock! * 10);
    expect(pow.doubleSpend.exact).toBeGreaterThan(0);
    expect(pow.doubleSpend.exact).toBeLessThan(1);
    expect(pos.doubleSpend.afterFinality).toBe(0);
    expect(pos.safety).toEqual({ finalizedAgree: true, slashedValidators: 0 });
    expect(BigInt(pow.supply.genesis) / COIN).toBeGreaterThan(0n);
  });

  it("refuses bad flags with a typed one-line error and exit code 2, before starting anything", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const dir = join(out, "never");
      expect(await main(["compare", "--out", dir, "--blocks", "many"])).toBe(2);
      expect(await main(["compare", "--out", dir, "--nodes", "1"])).toBe(2);
      expect(await main(["compare", "--out", dir, "--load", "0"])).toBe(2);
      expect(await main(["compare", "--blocks", "10"])).toBe(2);
      const lines = err.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => l.startsWith("error [CLI_BAD_ARGUMENT]: --blocks must be an integer"))).toBe(
        true,
      );
      expect(lines.some((l) => l.includes("--nodes must be in [2, 16]"))).toBe(true);
    } finally {
      err.mockRestore();
    }
    await expect(runCompare({ out: join(out, "never"), nodes: 99 })).rejects.toMatchObject({
      code: "EXPERIMENT_BAD_PARAM",
    });
    await expect(readFile(join(out, "never", "report.json"))).rejects.toThrow();
  });
});

describe("compare's pure parts", () => {
  it("slashes a third of the stake by the node's rules: initial 1/128 plus the correlation penalty", () => {
    const inc = COIN;
    const p = { minSlashingPenaltyQuotient: 128, proportionalSlashingMultiplier: 1, effectiveIncrement: inc };
    // 8 validators of 32 coins: 3 hold >= 1/3 (96 of 256); each loses 0.25 + floor(32 * 96 / 256) = 12.25.
    const eight = Array.from({ length: 8 }, () => 32n * COIN);
    expect(slashedAtOneThird(eight, p)).toEqual({
      offenders: 3,
      offenderStake: 96n * COIN,
      slashed: 3675n * (COIN / 100n),
    });
    // Multiplier 3 (Ethereum since Bellatrix): 3 * 96 > 256 is capped at the total, so all of it goes.
    expect(slashedAtOneThird(eight, { ...p, proportionalSlashingMultiplier: 3 }).slashed).toBe(96n * COIN);
    // The largest stakes first: one whale of 100 of 200 is enough alone.
    expect(slashedAtOneThird([100n * COIN, 50n * COIN, 50n * COIN], p).offenders).toBe(1);
  });

  it("reproduces the whitepaper's confirmations for P < 0.1%", () => {
    // Nakamoto §11: q = 0.10 z = 5, 0.15 z = 8, 0.20 z = 11, 0.25 z = 15, 0.30 z = 24, 0.35 z = 41, 0.40 z = 89, 0.45 z = 340.
    expect([0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45].map((q) => confirmationsFor(q))).toEqual([
      5, 8, 11, 15, 24, 41, 89, 340,
    ]);
  });

  it("summarizes samples, reads Prometheus text and prints coins exactly", () => {
    const s = sampleStats([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.p50).toBe(2);
    expect(s.p95).toBe(4);
    expect(sampleStats([5, 5, 5]).cv).toBe(0);
    const text = [
      "# HELP chainlab_process_cpu_seconds_total Total user and system CPU time spent in seconds.",
      "# TYPE chainlab_process_cpu_seconds_total counter",
      "chainlab_process_cpu_seconds_total_extra 9",
      "chainlab_process_cpu_seconds_total 12.5",
      'chainlab_reorgs_total{x="1"} 3',
    ].join("\n");
    expect(readPromValue(text, "chainlab_process_cpu_seconds_total")).toBe(12.5);
    expect(readPromValue(text, "chainlab_reorgs_total")).toBe(3);
    expect(readPromValue(text, "chainlab_missing")).toBeUndefined();
    expect(coins(5_000_000_000_000n)).toBe("50,000");
    expect(coins("1199")).toBe("0.00001199");
    expect(coins(-150_000_000n)).toBe("-1.5");
  });
});
