/**
 * What a comparison reads from the nodes, all through their RPC: process CPU from /metrics
 * (prom-client's process_cpu_seconds_total, which counts every thread of the node process,
 * miner workers included), the producers' counters from consensus_status, canonical blocks with
 * their fees, balances and validator stakes.
 */
import type { RpcClient } from "../../rpc/index.ts";
import { ExperimentError } from "../errors.ts";

/** One sample of a Prometheus counter or gauge without labels from the exposition text. */
export function readPromValue(text: string, name: string): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) return v;
  }
  return undefined;
}

/** The process CPU and reorg counters of one node. */
export interface NodeCounters {
  cpuSeconds: number;
  reorgs: number;
}

/** Reads the node's CPU-seconds (user + system, all threads) and reorg count from /metrics. */
export async function readNodeCounters(c: RpcClient): Promise<NodeCounters> {
  const text = await c.metrics();
  const cpu = readPromValue(text, "chainlab_process_cpu_seconds_total");
  if (cpu === undefined) {
    throw new ExperimentError(
      "EXPERIMENT_FAILED",
      "the node's /metrics has no chainlab_process_cpu_seconds_total",
    );
  }
  return { cpuSeconds: cpu, reorgs: readPromValue(text, "chainlab_reorgs_total") ?? 0 };
}

/** A block producer's counters as consensus_status reports them. */
export interface ProducerCounters {
  /** Blocks this node produced (PoW: sealed; PoS: proposed), canonical or not. */
  produced: number;
  /** PoW: hashes its miner computed since it started (absent when it does not mine). */
  hashes?: number;
  /** PoW: its miner's recent hashes/s. */
  hashrate?: number;
}

interface RawStatus {
  blocksFound?: number;
  hashes?: number;
  hashrate?: number;
  validator?: { proposed?: number };
  finalized?: { height?: number; epoch?: number; root?: string };
}

/** The producer counters of the node behind `c` (PoW miner or PoS validator client). */
export async function readProducerCounters(c: RpcClient): Promise<ProducerCounters> {
  const s = await c.call<RawStatus>("consensus_status");
  return {
    produced: s.blocksFound ?? s.validator?.proposed ?? 0,
    ...(typeof s.hashes === "number" ? { hashes: s.hashes } : {}),
    ...(typeof s.hashrate === "number" ? { hashrate: s.hashrate } : {}),
  };
}

/** A canonical block as the comparison keeps it. */
export interface BlockRecord {
  height: number;
  hash: string;
  timestamp: number;
  beneficiary: string;
  txCount: number;
  /** Sum of its transactions' fees (base units, decimal). */
  fees: string;
}

interface RawBlock {
  height: number;
  hash: string;
  timestamp: number;
  beneficiary: string;
  txs: { fee: string }[];
}

/** Canonical blocks from..to (inclusive), with full transactions, in batches under the RPC's limit. */
export async function readCanonicalBlocks(c: RpcClient, from: number, to: number): Promise<BlockRecord[]> {
  const out: BlockRecord[] = [];
  for (let start = from; start <= to; start += 25) {
    const calls = [];
    for (let h = start; h <= Math.min(to, start + 24); h++)
      calls.push({ method: "chain_getBlockByHeight", params: { height: h, full: true } });
    const got = await c.batch(calls);
    got.forEach((b, i) => {
      if (b instanceof Error || b === null || typeof b !== "object") {
        throw new ExperimentError("EXPERIMENT_FAILED", `canonical block ${start + i} is missing on the node`);
      }
      const r = b as RawBlock;
      out.push({
        height: r.height,
        hash: r.hash,
        timestamp: r.timestamp,
        beneficiary: r.beneficiary,
        txCount: r.txs.length,
        fees: r.txs.reduce((s, t) => s + BigInt(t.fee), 0n).toString(),
      });
    });
  }
  return out;
}

/** Balances of `addresses` at the head (one batch per 50), with the height they were read at. */
export async function readBalances(
  c: RpcClient,
  addresses: readonly string[],
): Promise<{ balances: Record<string, string>; heights: number[] }> {
  const balances: Record<string, string> = {};
  const heights: number[] = [];
  for (let i = 0; i < addresses.length; i += 50) {
    const chunk = addresses.slice(i, i + 50);
    const got = await c.batch(chunk.map((address) => ({ method: "account_get", params: { address } })));
    got.forEach((a, j) => {
      if (a instanceof Error) throw a;
      const r = a as { balance: string; height: number };
      balances[chunk[j]!] = r.balance;
      heights.push(r.height);
    });
  }
  return { balances, heights };
}

/** PoS: every genesis validator's stake and effective stake at the head (`pos_validator`). */
export async function readValidatorStakes(
  c: RpcClient,
  count: number,
): Promise<{ index: number; stake: string; effective: string; slashed: boolean }[]> {
  const out = [];
  for (let i = 0; i < count; i += 50) {
    const n = Math.min(50, count - i);
    const got = await c.batch(
      Array.from({ length: n }, (_, k) => ({ method: "pos_validator", params: { index: i + k } })),
    );
    for (const [k, v] of got.entries()) {
      if (v instanceof Error) throw v;
      const r = v as { stake: string; effective: string; slashed: boolean };
      out.push({ index: i + k, stake: r.stake, effective: r.effective, slashed: r.slashed });
    }
  }
  return out;
}

/** PoS: the finalized checkpoint the node reports (height and root). */
export async function readFinalized(c: RpcClient): Promise<{ height: number; epoch: number; root: string }> {
  const s = await c.call<RawStatus>("consensus_status");
  return { height: s.finalized?.height ?? 0, epoch: s.finalized?.epoch ?? 0, root: s.finalized?.root ?? "" };
}
