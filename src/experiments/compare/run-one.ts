/**
 * One side of a comparison: a fresh testnet of one engine as real node processes, the transfer
 * load, and everything the measures need, read from the nodes while the load runs and after the
 * producers stopped. Nothing here computes a measure; measures.ts does, from this record.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readKeystoreJson } from "../../crypto/keystore.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { type LoadReport, runLoad, Testnet } from "../../testnet/index.ts";
import { pollUntil, waitForSameHead } from "../adversary/chain-view.ts";
import { readPosStatus } from "../adversary/pos.ts";
import { ExperimentError } from "../errors.ts";
import type { ProgressSink } from "../progress.ts";
import type { CompareOptions } from "./options.ts";
import {
  type BlockRecord,
  readBalances,
  readCanonicalBlocks,
  readFinalized,
  readNodeCounters,
  readProducerCounters,
  readValidatorStakes,
} from "./probes.ts";

/** The engines compared. */
export type Consensus = "pow" | "pos";

/** The measurement window: from the load's start to the block that completes the count. */
export interface MeasuredWindow {
  fromHeight: number;
  toHeight: number;
  startedAt: number;
  endedAt: number;
  /** Per node, CPU-seconds of its process at the window's start and end. */
  cpuStart: number[];
  cpuEnd: number[];
  /** PoW: the miners' hash counters summed, at the start and end. */
  hashesStart?: number;
  hashesEnd?: number;
}

/** Everything read from one testnet. */
export interface RawRun {
  consensus: Consensus;
  nodes: number;
  blockMs: number;
  startupMs: number;
  window: MeasuredWindow;
  /** Canonical blocks 0..head after the producers stopped (the head every node agreed on). */
  blocks: BlockRecord[];
  head: { height: number; hash: string };
  /** Per node: blocks its producer made, canonical or not (after it stopped). */
  produced: number[];
  /** Per node: reorganisations it went through. */
  reorgs: number[];
  load: LoadReport;
  /** Genesis supply: the allocations and (PoS) the bonded stake (base units, decimal). */
  genesis: { alloc: string; stake: string; params: Record<string, unknown> };
  /** Balances at the head of every address that can hold coins here (accounts, coinbases, validators). */
  balances: Record<string, string>;
  /** Addresses of the block producers (PoW coinbases; PoS validator beneficiaries). */
  producerAddresses: string[];
  /** PoS: each genesis validator's stake at the head. */
  validators?: { index: number; stake: string; effective: string; slashed: boolean }[];
  /** PoS: active validators and their effective stake (consensus_status). */
  activeValidators?: number;
  activeStake?: string;
  /** PoS: node 0's finalized height, polled while the chain ran (ms since epoch). */
  finalityPolls?: { at: number; height: number }[];
  /** PoS: every node's finalized checkpoint after the producers stopped. */
  finalizedAtEnd?: { height: number; epoch: number; root: string }[];
  /** PoW: the chain's difficulty at the end (expected hashes per block). */
  difficulty?: string;
}

/** What runOne needs besides the options. */
export interface RunOneContext {
  dir: string;
  progress: ProgressSink;
  /** Blocks already counted by earlier runs (the progress bar covers both). */
  progressOffset: number;
  signal: AbortSignal;
}

const POLL_MS = 200;

async function sumHashes(clients: readonly RpcClient[]): Promise<number> {
  const all = await Promise.all(clients.map(readProducerCounters));
  return all.reduce((s, c) => s + (c.hashes ?? 0), 0);
}

async function readWindowEdge(
  consensus: Consensus,
  clients: readonly RpcClient[],
): Promise<{ cpu: number[]; hashes?: number; height: number; at: number }> {
  const at = Date.now();
  const [cpu, hashes, head] = await Promise.all([
    Promise.all(clients.map(async (c) => (await readNodeCounters(c)).cpuSeconds)),
    consensus === "pow" ? sumHashes(clients) : Promise.resolve(undefined),
    clients[0]!.call<{ height: number }>("chain_getHead"),
  ]);
  return { cpu, height: head.height, at, ...(hashes !== undefined ? { hashes } : {}) };
}

/** Runs the load on a fresh `consensus` testnet and reads what the measures need. */
export async function runOne(consensus: Consensus, o: CompareOptions, ctx: RunOneContext): Promise<RawRun> {
  const say = (m: string) => ctx.progress.message(`${consensus}: ${m}`);
  const t0 = Date.now();
  const net = await Testnet.start({
    dir: join(ctx.dir, consensus),
    fresh: true,
    nodes: o.nodes,
    consensus,
    miners: consensus === "pow" ? o.nodes : 0,
    accounts: o.accounts,
    blockTimeSeconds: o.blockMs / 1000,
    hashratePerMiner: Math.max(1, Math.round(o.hashrate / o.nodes)),
    ...(consensus === "pos" ? { epochSlots: o.epochSlots } : {}),
    inProcess: false,
    onProgress: say,
    readyTimeoutMs: 60_000,
  });
  try {
    const startupMs = Date.now() - t0;
    const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
    const first = await readWindowEdge(consensus, clients);
    say(`measuring ${o.blocks} blocks from height ${first.height} under ${o.load} tx/s`);
    const blockSeconds = o.blockMs / 1000;
    let loadDone = false;
    const load = runLoad(net, {
      tps: o.load,
      durationSeconds: o.blocks * blockSeconds,
      drainSeconds: Math.max(5, 5 * blockSeconds),
    }).finally(() => {
      loadDone = true;
    });
    load.catch(() => {});
    const polls: { at: number; height: number }[] = [];
    const poll = async (): Promise<number> => {
      const s = await clients[0]!.call<{ headHeight: number; finalized?: { height: number } }>(
        "consensus_status",
      );
      if (s.finalized !== undefined) polls.push({ at: Date.now(), height: s.finalized.height });
      return s.headHeight;
    };
    const windowTimeout = o.blocks * o.blockMs * 4 + 60_000;
    await pollUntil(
      `${o.blocks} ${consensus} blocks and the end of the load`,
      async () => {
        if (ctx.signal.aborted) throw new ExperimentError("EXPERIMENT_FAILED", "aborted");
        const h = await poll();
        const done = Math.min(o.blocks, Math.max(0, h - first.height));
        ctx.progress.tick(ctx.progressOffset + done, `${consensus} height ${h}`);
        return done >= o.blocks && loadDone ? true : undefined;
      },
      windowTimeout,
      POLL_MS,
    );
    const last = await readWindowEdge(consensus, clients);
    const loadReport = await load;
    if (consensus === "pos") {
      say(`waiting for block ${last.height} to be finalized`);
      const epochMs = o.epochSlots * o.blockMs;
      await pollUntil(
        `finality of block ${last.height}`,
        async () => {
          if (ctx.signal.aborted) throw new ExperimentError("EXPERIMENT_FAILED", "aborted");
          await poll();
          return polls.at(-1)!.height >= last.height ? true : undefined;
        },
        8 * epochMs + 30_000,
        POLL_MS,
      );
    }
    say("stopping the producers and reading the chain");
    await Promise.all(clients.map((c) => c.call("miner_stop")));
    const head = await waitForSameHead(clients, 30_000);
    const [produced, counters] = await Promise.all([
      Promise.all(clients.map(async (c) => (await readProducerCounters(c)).produced)),
      Promise.all(clients.map(readNodeCounters)),
    ]);
    const genesisFile = await readGenesisFile(net.manifest.genesisFile);
    const params = genesisFile.consensus.params as Record<string, unknown>;
    const genesisStake =
      consensus === "pos"
        ? ((params.validators ?? []) as { stake: string }[]).reduce((s, v) => s + BigInt(v.stake), 0n)
        : 0n;
    const validatorCount = consensus === "pos" ? ((params.validators ?? []) as unknown[]).length : 0;
    const validatorAddresses = await validatorAddressesOf(net);
    const producerAddresses =
      consensus === "pow"
        ? net.nodes.flatMap((n) => (n.coinbase !== undefined ? [n.coinbase] : []))
        : validatorAddresses;
    const addresses = [...new Set([...net.manifest.accounts.map((a) => a.address), ...producerAddresses])];
    const { balances, heights } = await readBalances(clients[0]!, addresses);
    if (heights.some((h) => h !== head.height)) {
      throw new ExperimentError("EXPERIMENT_FAILED", "the head moved while balances were read");
    }
    const posExtras =
      consensus === "pos"
        ? await (async () => {
            const status = await readPosStatus(clients[0]!);
            return {
              validators: await readValidatorStakes(clients[0]!, validatorCount),
              activeValidators: status.activeValidators,
              activeStake: status.activeStake.toString(),
              finalityPolls: polls,
              finalizedAtEnd: await Promise.all(clients.map(readFinalized)),
            };
          })()
        : {
            difficulty:
              (await clients[0]!.call<{ difficulty?: string }>("consensus_status")).difficulty ?? "0",
          };
    return {
      consensus,
      nodes: o.nodes,
      blockMs: o.blockMs,
      startupMs,
      window: {
        fromHeight: first.height,
        toHeight: last.height,
        startedAt: first.at,
        endedAt: last.at,
        cpuStart: first.cpu,
        cpuEnd: last.cpu,
        ...(first.hashes !== undefined && last.hashes !== undefined
          ? { hashesStart: first.hashes, hashesEnd: last.hashes }
          : {}),
      },
      blocks: await readCanonicalBlocks(clients[0]!, 0, head.height),
      head,
      produced,
      reorgs: counters.map((c) => c.reorgs),
      load: loadReport,
      genesis: {
        alloc: Object.values(genesisFile.alloc)
          .reduce((s, v) => s + v, 0n)
          .toString(),
        stake: genesisStake.toString(),
        params,
      },
      balances,
      producerAddresses,
      ...posExtras,
    };
  } finally {
    await net.stop();
  }
}

/** PoS: the address of every validator key of the testnet (its beneficiary and withdrawal address). */
async function validatorAddressesOf(net: Testnet): Promise<string[]> {
  const out: string[] = [];
  for (const n of net.nodes) {
    const dir = join(n.dataDir, "validators");
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((x) => x.endsWith(".json")).sort()) {
      out.push((await readKeystoreJson(join(dir, f))).address);
    }
  }
  return out;
}
