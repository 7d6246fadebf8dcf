/**
 * bench:net — the network's two figures, each next to its baseline from the same run.
 *
 * 1. Block propagation: N node processes on loopback (ring plus chords, degree 4), like a local
 *    testnet. Each round, a few transfers are submitted at one node and gossiped to all (as on a
 *    live network, where a block's txs usually arrive before it); then a rotating miner seals a
 *    block with them. Latency runs from the end of sealing to the import on every other node, on
 *    the system-wide monotonic clock (process.hrtime), so the processes' timestamps compare. The
 *    same rounds with empty blocks are the baseline (the network path without execution).
 * 2. Sync: a chain of B blocks x T transfers is generated once (fast path: templates with preset
 *    txs and the signature cache primed, so generation skips verification). Then a fresh node in
 *    this process imports the same blocks from their bytes (the local import rate, the baseline),
 *    and another fresh node in this process syncs them over libp2p from a node process serving
 *    the generated data dir (the sync rate). The ratio shows the network's overhead.
 *
 *   npm run bench:net -- [--nodes 8] [--samples 100] [--prop-txs 20] [--blocks 5000] [--txs 50]
 *                        [--only propagation|sync] [--announce-first] [--json]
 *   --announce-first: the miner publishes its block before importing it (P2PService.announceBlock,
 *   for a producer hook in node/); by default it publishes after, as the relay of an import does.
 *   (internal) node scripts/bench-net.ts --node DIR --genesis FILE   a node process driven over stdio
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { type Block, decodeBlock, encodeBlock } from "../src/core/block.ts";
import type { Genesis } from "../src/core/genesis.ts";
import { fromHex, toHex } from "../src/core/hash.ts";
import { encodeTx, type Tx, txId } from "../src/core/tx.ts";
import { readGenesisFile, writeGenesisFile } from "../src/node/genesis-file.ts";
import { silentLogger } from "../src/node/logger.ts";
import { ChainlabNode } from "../src/node/node.ts";
import { createP2P } from "../src/p2p/index.ts";
import { actor, easyGenesis, sealPow, transfer } from "../test/helpers/fixtures.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "8" },
    samples: { type: "string", default: "100" },
    "prop-txs": { type: "string", default: "20" },
    blocks: { type: "string", default: "5000" },
    txs: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
    "announce-first": { type: "boolean", default: false },
    only: { type: "string" },
    node: { type: "string" },
    genesis: { type: "string" },
  },
});
const progress = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
/** The miner publishes its sealed block before importing it (P2PService.announceBlock). */
const ANNOUNCE_FIRST = values["announce-first"] === true;
/** Unmeasured propagation rounds first. */
const WARMUP_ROUNDS = 20;
/** Pause between propagation rounds. */
const GAP_MS = 150;
/** Milliseconds on the system-wide monotonic clock (comparable across processes). */
const clockMs = (): number => Number(process.hrtime.bigint()) / 1e6;

type PowLike = {
  prepareFields(p: unknown, v: unknown): Uint8Array;
  templateTimestamp(p: unknown, v: unknown, now: number): number;
};
const miner = actor("miner");
const sink = actor("sink");

/** A sealed block on `node`'s head with exactly `txs`, timestamped at `clock` (or now). */
function makeBlock(node: ChainlabNode, txs: readonly Tx[], clock?: number): Block {
  const engine = node.engine as unknown as PowLike;
  const parent = node.chain.head();
  const block = sealPow(
    node.chain.buildTemplate({
      beneficiary: miner.addressBytes,
      timestamp: engine.templateTimestamp(parent, node.chain.view, clock ?? Date.now()),
      engineFields: engine.prepareFields(parent, node.chain.view),
      txs,
    }),
  );
  if (block.txs.length !== txs.length)
    throw new Error(`template dropped txs at height ${block.header.height}`);
  return block;
}

function waitUntil(
  check: () => boolean,
  subscribe: (wake: () => void) => () => void,
  ms: number,
  what: string,
) {
  return new Promise<void>((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const off = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Node-process mode: one node with p2p, events as JSON lines on stdout, commands on stdin. */
async function runNodeProcess(dir: string, genesisFile: string): Promise<void> {
  const genesis = await readGenesisFile(genesisFile);
  const node = await ChainlabNode.open({ dataDir: dir, genesis }, silentLogger());
  const p2p = await createP2P(node, { dataDir: dir }, { log: silentLogger() });
  const emit = (o: object): void => {
    process.stdout.write(`${JSON.stringify(o)}\n`);
  };
  node.onBlockImported((_, r) => emit({ ev: "block", hash: toHex(r.hash), t: clockMs() }));
  // Reports once every awaited tx is in the pool (one line per round, not one per tx).
  let awaited: string[] = [];
  const checkTxs = (): void => {
    if (awaited.length > 0 && awaited.every((id) => node.mempool.has(fromHex(id)))) {
      awaited = [];
      emit({ ev: "txs" });
    }
  };
  node.mempool.onAdded(checkTxs);
  p2p.on("peer:status", () => emit({ ev: "status", peers: p2p.peers().filter((p) => p.head).length }));
  await p2p.start();
  emit({ ev: "ready", addr: p2p.multiaddrs()[0] });
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as {
      op: string;
      addr?: string;
      txs?: string[];
      ids?: string[];
      announce?: boolean;
    };
    if (cmd.op === "connect") {
      await p2p.connect(cmd.addr!);
    } else if (cmd.op === "await-txs") {
      awaited = cmd.ids!;
      checkTxs();
    } else if (cmd.op === "submit") {
      for (const tx of cmd.txs!) node.submitTx(fromHex(tx));
    } else if (cmd.op === "mine") {
      const height = node.chain.head().header.height + 1;
      const block = makeBlock(node, node.mempool.selectForBlock({ maxTxs: 10_000, height }));
      const t = clockMs();
      if (cmd.announce === true) await p2p.announceBlock(block);
      const r = await node.importBlock(block, { kind: "local" });
      emit({ ev: "mined", hash: toHex(r.hash), t, txs: block.txs.length });
    } else if (cmd.op === "stop") {
      break;
    }
  }
  await p2p.stop();
  await node.stop();
}

type NodeEvent = {
  ev: string;
  addr?: string;
  hash?: string;
  t?: number;
  id?: string;
  peers?: number;
  txs?: number;
};

/** The parent's handle on a node process. */
class NodeProc {
  readonly child: ChildProcess;
  addr = "";
  peers = 0;
  readonly blocks = new Map<string, number>();
  txsReady = false;
  mined: NodeEvent | undefined;
  private readonly wakers = new Set<() => void>();

  constructor(dir: string, genesisFile: string) {
    this.child = spawn(process.execPath, [import.meta.filename, "--node", dir, "--genesis", genesisFile], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const e = JSON.parse(line) as NodeEvent;
      if (e.ev === "ready") this.addr = e.addr!;
      else if (e.ev === "status") this.peers = e.peers!;
      else if (e.ev === "block") this.blocks.set(e.hash!, e.t!);
      else if (e.ev === "txs") this.txsReady = true;
      else if (e.ev === "mined") this.mined = e;
      for (const w of this.wakers) w();
    });
  }

  send(cmd: object): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
    return waitUntil(
      check,
      (w) => {
        this.wakers.add(w);
        return () => this.wakers.delete(w);
      },
      ms,
      what,
    );
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.send({ op: "stop" });
    this.child.stdin!.end();
    await exited;
  }
}

/** Part 1: seal-to-import latency across `n` node processes; rounds with and without txs. */
async function propagation(root: string, n: number, samples: number, txsPerBlock: number) {
  const senders = Array.from({ length: txsPerBlock }, (_, i) => actor(`prop-${i}`));
  const genesis = easyGenesis(senders, { balance: 10n ** 15n });
  const genesisFile = join(root, "prop-genesis.json");
  await writeGenesisFile(genesisFile, genesis);
  const procs = Array.from({ length: n }, (_, i) => new NodeProc(join(root, `prop-${i}`), genesisFile));
  try {
    await Promise.all(procs.map((p) => p.until(() => p.addr !== "", "node ready")));
    const degree = new Array<number>(n).fill(0);
    const links = new Set<string>();
    for (let i = 0; i < n; i++)
      for (const j of [(i + 1) % n, (i + 3) % n]) links.add([i, j].sort().join("-"));
    for (const l of links) {
      const [i, j] = l.split("-").map(Number) as [number, number];
      procs[j]!.send({ op: "connect", addr: procs[i]!.addr });
      degree[i]!++;
      degree[j]!++;
    }
    await Promise.all(procs.map((p, i) => p.until(() => p.peers >= degree[i]!, "peers")));
    const genesisHash = fromHex(
      await ChainlabNode.open({ dataDir: join(root, "gh"), genesis }, silentLogger()).then(async (x) => {
        const h = toHex(x.chain.genesisHash);
        await x.stop();
        return h;
      }),
    );
    let nonce = 0;
    const round = async (k: number, withTxs: boolean): Promise<number[]> => {
      if (withTxs) {
        const txs = senders.map((s) => transfer(s, sink, genesisHash, { nonce: nonce, amount: 1n }));
        nonce++;
        const ids = txs.map((tx) => toHex(txId(tx)));
        for (const p of procs) {
          p.txsReady = false;
          p.send({ op: "await-txs", ids });
        }
        procs[(k * 5 + 3) % n]!.send({ op: "submit", txs: txs.map((tx) => toHex(encodeTx(tx))) });
        await Promise.all(procs.map((p) => p.until(() => p.txsReady, "txs everywhere")));
        // Txs usually arrive well before the block that includes them: let their gossip settle.
        await new Promise((r) => setTimeout(r, 100));
      }
      const m = procs[k % n]!;
      m.mined = undefined;
      m.send({ op: "mine", announce: ANNOUNCE_FIRST });
      await m.until(() => m.mined !== undefined, "mined");
      const { hash, t } = m.mined as unknown as { hash: string; t: number };
      const others = procs.filter((p) => p !== m);
      await Promise.all(others.map((p) => p.until(() => p.blocks.has(hash), "block everywhere", 10_000)));
      // A pause between blocks, as between real ones (blocks are seconds apart on a live network).
      await new Promise((r) => setTimeout(r, GAP_MS));
      return others.map((p) => p.blocks.get(hash)! - t);
    };
    const run = async (withTxs: boolean) => {
      // Warm-up rounds (not measured): every process JIT-compiles its own import path.
      for (let k = 0; k < WARMUP_ROUNDS; k++) await round(k, withTxs);
      const all: number[] = [];
      for (let k = 0; k < samples; k++) all.push(...(await round(k, withTxs)));
      const sorted = all.sort((a, b) => a - b);
      return {
        arrivals: sorted.length,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        maxMs: sorted.at(-1)!,
      };
    };
    const withTxs = await run(true);
    const empty = await run(false);
    return { nodes: n, samples, txsPerBlock, withTxs, empty };
  } finally {
    await Promise.all(procs.map((p) => p.stop().catch(() => {})));
  }
}

/** Part 2a: generate B blocks of T transfers into `dir` (fast path); returns their encodings. */
async function generate(dir: string, genesis: Genesis, blocks: number, txs: number) {
  const senders = Array.from({ length: txs }, (_, i) => actor(`sync-${i}`));
  const node = await ChainlabNode.open({ dataDir: dir, genesis }, silentLogger());
  const gh = node.chain.genesisHash;
  const bytes: Uint8Array[] = [];
  const start = performance.now();
  let clock = genesis.timestamp;
  for (let b = 0; b < blocks; b++) {
    const list = senders.map((s) => transfer(s, sink, gh, { nonce: b, amount: 1n }));
    for (const tx of list) node.chain.sigCache.add(txId(tx), tx.signature);
    clock += 1000;
    const block = makeBlock(node, list, clock);
    const r = await node.importBlock(block, { kind: "local" });
    if (r.status !== "head") throw new Error(`generated block ${b} imported as ${r.status}`);
    bytes.push(encodeBlock(block));
    if ((b + 1) % 1000 === 0)
      progress(`  generated ${b + 1}/${blocks} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
  await node.stop();
  return bytes;
}

/** Part 2b: a fresh node importing the same bytes in-process (decode included). */
async function localImport(dir: string, genesis: Genesis, bytes: Uint8Array[]): Promise<number> {
  const node = await ChainlabNode.open({ dataDir: dir, genesis }, silentLogger());
  const start = performance.now();
  for (const b of bytes) {
    const r = await node.importBlock(decodeBlock(b), { kind: "local" });
    if (r.status !== "head") throw new Error(`local import: block imported as ${r.status}`);
  }
  const ms = performance.now() - start;
  await node.stop();
  return ms;
}

/** Part 2c: a fresh node syncing the chain over libp2p from a serving node process. */
async function networkSync(
  dir: string,
  genesis: Genesis,
  target: number,
  serverAddr: string,
): Promise<number> {
  const node = await ChainlabNode.open({ dataDir: dir, genesis }, silentLogger());
  const start = performance.now();
  const p2p = await createP2P(node, { dataDir: dir, bootstrap: [serverAddr] }, { log: silentLogger() });
  const reached = waitUntil(
    () => node.chain.head().header.height >= target,
    (w) => node.chain.onHeadChange(w),
    600_000,
    "sync",
  );
  await p2p.start();
  await reached;
  const ms = performance.now() - start;
  await p2p.stop();
  await node.stop();
  return ms;
}

/** Part 2: generation, local import and network sync of the same chain. */
async function syncBench(root: string, blocks: number, txs: number) {
  const genesis = easyGenesis(
    Array.from({ length: txs }, (_, i) => actor(`sync-${i}`)),
    { balance: 10n ** 15n },
  );
  const genesisFile = join(root, "sync-genesis.json");
  await writeGenesisFile(genesisFile, genesis);
  progress(`sync: generating ${blocks} blocks x ${txs} transfers (fast path, once) ...`);
  const t = performance.now();
  const bytes = await generate(join(root, "source"), genesis, blocks, txs);
  const generateSeconds = (performance.now() - t) / 1000;
  const mb = bytes.reduce((n, b) => n + b.length, 0) / 1e6;
  progress("sync: local import of the same blocks into a fresh node ...");
  const localMs = await localImport(join(root, "local"), genesis, bytes);
  progress("sync: a fresh node syncing over loopback from a serving node process ...");
  const server = new NodeProc(join(root, "source"), genesisFile);
  let syncMs: number;
  try {
    await server.until(() => server.addr !== "", "server ready");
    syncMs = await networkSync(join(root, "synced"), genesis, blocks, server.addr);
  } finally {
    await server.stop();
  }
  return {
    blocks,
    txsPerBlock: txs,
    megabytes: Math.round(mb * 10) / 10,
    generateSeconds: Math.round(generateSeconds * 10) / 10,
    localImportBlocksPerSecond: Math.round((blocks * 1000) / localMs),
    syncBlocksPerSecond: Math.round((blocks * 1000) / syncMs),
    syncVsLocal: Math.round((localMs / syncMs) * 1000) / 1000,
  };
}

async function main(): Promise<void> {
  const only = values.only;
  const root = await mkdtemp(join(tmpdir(), "chainlab-bench-net-"));
  const loadBefore = loadavg()[0]!;
  try {
    let prop: Awaited<ReturnType<typeof propagation>> | undefined;
    let sync: Awaited<ReturnType<typeof syncBench>> | undefined;
    if (only !== "sync") {
      const [n, samples, txs] = [Number(values.nodes), Number(values.samples), Number(values["prop-txs"])];
      progress(
        `propagation: ${n} node processes, ${samples} blocks of ${txs} transfers, then ${samples} empty ...`,
      );
      prop = await propagation(root, n, samples, txs);
    }
    if (only !== "propagation") sync = await syncBench(root, Number(values.blocks), Number(values.txs));
    // Other work on the machine skews every figure: report the load average around the run.
    const load = { cores: cpus().length, loadAvg1mBefore: loadBefore, loadAvg1mAfter: loadavg()[0]! };
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ propagation: prop, sync, load })}\n`);
      return;
    }
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const row = (r: { p50Ms: number; p95Ms: number; maxMs: number; arrivals: number }) =>
      `p50 ${ms(r.p50Ms)}   p95 ${ms(r.p95Ms)}   max ${ms(r.maxMs)}   (${r.arrivals} arrivals)`;
    if (prop) {
      console.log(
        `propagation, seal -> import on every other node (${prop.nodes} node processes, ${prop.samples} blocks each):`,
      );
      console.log(
        `  ${String(prop.txsPerBlock).padStart(2)} txs/block: ${row(prop.withTxs)}   goal p95 < 50 ms`,
      );
      console.log(`   empty:      ${row(prop.empty)}   (baseline: network path only)`);
    }
    if (sync) {
      console.log(
        `sync (${sync.blocks} blocks x ${sync.txsPerBlock} txs, ${sync.megabytes} MB; generated in ${sync.generateSeconds} s):`,
      );
      console.log(
        `  local import (baseline, same blocks, same run): ${sync.localImportBlocksPerSecond} blocks/s`,
      );
      console.log(`  sync over libp2p from a serving node process:   ${sync.syncBlocksPerSecond} blocks/s`);
      console.log(`  ratio sync / local: ${(sync.syncVsLocal * 100).toFixed(1)}%   (goal >= 50%)`);
    }
    console.log(
      `load average (1 min) ${load.loadAvg1mBefore.toFixed(1)} before, ${load.loadAvg1mAfter.toFixed(1)} after, on ${load.cores} cores`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (values.node !== undefined) {
  if (values.genesis === undefined) throw new Error("--node needs --genesis");
  await runNodeProcess(values.node, values.genesis);
} else {
  await main();
}
