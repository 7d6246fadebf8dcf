/**
 * The testnet library API (like btcd's rpctest harness): generate or resume a testnet dir, start
 * its nodes as `chainlab node` processes (or in this process), connect them into a full mesh, wait
 * until they follow one head, and control them: status, kill, restart, partition, heal, stop.
 */
import { access, readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { describeError } from "../core/errors.ts";
import { decodeAddress } from "../crypto/address.ts";
import { createVerifyPool, type VerifyPool } from "../crypto/verify-pool.ts";
import { engineSection, mempoolOptions, readConfigFile, resolveSettings } from "../node/config.ts";
import { type Daemon, startDaemon } from "../node/daemon.ts";
import { resolveGenesis } from "../node/data-dir.ts";
import { type Logger, silentLogger } from "../node/logger.ts";
import { createNetwork } from "../node/network.ts";
import { createRpcClient, type RpcClient } from "../rpc/index.ts";
import { type NodeEntryFile, nodeEntryFile } from "./build.ts";
import { type GenerateOptions, generateTestnet } from "./generate.ts";
import { type Manifest, type NodeEntry, readManifest, TestnetError, writeManifest } from "./manifest.ts";
import { isAlive, spawnNode, stopProcess, waitForRuntime } from "./processes.ts";

/** Options of Testnet.start. */
export interface TestnetOptions extends Partial<Omit<GenerateOptions, "dir">> {
  dir: string;
  /** Delete an existing testnet in `dir` first. */
  fresh?: boolean;
  /** Run the nodes inside this process instead of child processes. */
  inProcess?: boolean;
  /** Progress messages (start-up steps). */
  onProgress?: (message: string) => void;
  /** How long to wait for all nodes to follow one head. */
  readyTimeoutMs?: number;
}

/** The live status of one node. */
export interface NodeStatus {
  name: string;
  up: boolean;
  pid?: number;
  height?: number;
  head?: string;
  peers?: number;
  mempool?: number;
  txsIncluded?: number;
  rpcUrl?: string;
  /** Slot engines: the finalized checkpoint's height and the voting share of the last epochs. */
  finalizedHeight?: number;
  participation?: { previous: number; current: number };
  error?: string;
}

/** The finality fields of a consensus_status (PoS reports them; PoW does not). */
function finalityOf(status: unknown): Pick<NodeStatus, "finalizedHeight" | "participation"> {
  const s = status as {
    finalized?: { height?: unknown };
    participation?: { previousEpoch?: unknown; currentEpoch?: unknown };
  };
  const height = s?.finalized?.height;
  const p = s?.participation;
  return {
    ...(typeof height === "number" ? { finalizedHeight: height } : {}),
    ...(typeof p?.previousEpoch === "number" && typeof p.currentEpoch === "number"
      ? { participation: { previous: p.previousEpoch, current: p.currentEpoch } }
      : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Testnets up to this size are connected as a full mesh; larger ones sparsely (see dialTargets). */
export const FULL_MESH_MAX_NODES = 8;

/**
 * The nodes node `i` of `n` dials. Up to FULL_MESH_MAX_NODES: every node after it (each pair once,
 * a full mesh). Above: i+1, i+2, i+4, ... (mod n), a Chord-like graph with about 2·log2(n) peers
 * per node and at most log2(n) hops between any two, instead of n-1 peers (64 nodes: 11 peers, not
 * 63; 2,016 connections become 352). A partition of a sparse testnet may split a group inside.
 */
export function dialTargets(i: number, n: number): number[] {
  if (n <= FULL_MESH_MAX_NODES) return Array.from({ length: n - i - 1 }, (_, k) => i + 1 + k);
  const out = new Set<number>();
  for (let step = 1; step < n; step *= 2) out.add((i + step) % n);
  return [...out];
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** A running (or attached) testnet. */
export class Testnet {
  readonly dir: string;
  manifest: Manifest;
  private readonly inProcess: Map<number, Daemon> = new Map();
  private readonly clients = new Map<number, RpcClient>();
  private readonly progress: (m: string) => void;
  /** What node processes run (a compiled build when one can be made; see build.ts). */
  private entry: NodeEntryFile | undefined;
  /** The signature-verification pool in-process nodes share (one worker per core, not per node). */
  private verifyPool: VerifyPool | undefined;

  private constructor(dir: string, manifest: Manifest, progress: (m: string) => void) {
    this.dir = dir;
    this.manifest = manifest;
    this.progress = progress;
  }

  /** Attaches to an existing testnet dir (for control commands) without starting anything. */
  static async open(dir: string): Promise<Testnet> {
    return new Testnet(resolve(dir), await readManifest(dir), () => {});
  }

  /** Generates (or resumes) the testnet in `dir` and starts every node; cleans up on failure. */
  static async start(o: TestnetOptions): Promise<Testnet> {
    const dir = resolve(o.dir);
    const progress = o.onProgress ?? (() => {});
    if (o.fresh && (await exists(`${dir}/testnet.json`))) {
      const old = await readManifest(dir);
      if (old.nodes.some((n) => isAlive(n.pid))) {
        throw new TestnetError(
          "TESTNET_RUNNING",
          `the testnet in ${dir} is running; "chainlab testnet down --dir ${dir}" first`,
        );
      }
      await rm(dir, { recursive: true, force: true });
    }
    let manifest: Manifest;
    if (await exists(`${dir}/testnet.json`)) {
      manifest = await readManifest(dir);
      const running = manifest.nodes.filter((n) => isAlive(n.pid));
      if (running.length > 0) {
        throw new TestnetError(
          "TESTNET_RUNNING",
          `the testnet in ${dir} is already running (${running.map((n) => `${n.name} pid ${n.pid}`).join(", ")})`,
        );
      }
      progress(`resuming the testnet in ${dir} (${manifest.nodes.length} nodes)`);
    } else {
      const nodes = o.nodes ?? 4;
      progress(`generating a ${nodes}-node ${o.consensus ?? "pow"} testnet in ${dir}`);
      manifest = await generateTestnet({
        dir,
        nodes,
        consensus: o.consensus ?? "pow",
        miners: o.miners ?? nodes,
        accounts: o.accounts ?? 8,
        blockTimeSeconds: o.blockTimeSeconds ?? 1,
        hashratePerMiner: o.hashratePerMiner ?? 100_000,
        ...(o.chainId !== undefined ? { chainId: o.chainId } : {}),
        ...(o.halfLifeSeconds !== undefined ? { halfLifeSeconds: o.halfLifeSeconds } : {}),
        ...(o.validators !== undefined ? { validators: o.validators } : {}),
        ...(o.epochSlots !== undefined ? { epochSlots: o.epochSlots } : {}),
      });
    }
    const net = new Testnet(dir, manifest, progress);
    try {
      await net.startAll(o.inProcess === true);
      const meshStart = Date.now();
      await net.connectMesh();
      progress(`peers dialed in ${((Date.now() - meshStart) / 1000).toFixed(1)} s`);
      await net.waitForAgreement(o.readyTimeoutMs ?? 30_000);
    } catch (err) {
      progress(`start-up failed (${describeError(err).message}); stopping the nodes that started`);
      await net.stop().catch(() => {});
      throw err;
    }
    return net;
  }

  get nodes(): NodeEntry[] {
    return this.manifest.nodes;
  }

  /** A signed RPC client for node `i` (admin key). */
  async client(i: number): Promise<RpcClient> {
    let c = this.clients.get(i);
    const node = this.nodes[i];
    if (node === undefined) throw new TestnetError("TESTNET_NO_SUCH_NODE", `no node ${i}`);
    if (c === undefined) {
      if (node.rpcUrl === undefined)
        throw new TestnetError("TESTNET_NODE_DOWN", `${node.name} has no RPC URL`);
      const credential = (await readFile(node.adminKeyFile, "utf8")).trim();
      c = createRpcClient({ url: node.rpcUrl, credential, timeoutMs: 10_000 });
      this.clients.set(i, c);
    }
    return c;
  }

  private sharedVerifyPool(): VerifyPool {
    this.verifyPool ??= createVerifyPool();
    return this.verifyPool;
  }

  private async startInProcess(node: NodeEntry, bootstrap: string[]): Promise<Daemon> {
    try {
      const genesis = await resolveGenesis(node.dataDir, this.manifest.genesisFile);
      const file = await readConfigFile(`${node.dataDir}/config.toml`);
      const settings = resolveSettings({ "p2p.bootstrap": bootstrap, "log.level": "warn" }, {}, file);
      const log: Logger = silentLogger();
      const coinbase = settings["produce.beneficiary"];
      const daemon = await startDaemon(
        {
          dataDir: node.dataDir,
          genesis,
          maxBlockTxs: settings["block.max_txs"],
          mempool: mempoolOptions(settings),
          // In-process nodes share one process: one mining thread each, one verification pool.
          engineConfig: { ...engineSection(settings, genesis.consensus.type), threads: 1 },
          verify: { pool: this.sharedVerifyPool() },
          ...(coinbase !== ""
            ? { produce: { beneficiary: decodeAddress(coinbase) }, autoProduce: settings["produce.enabled"] }
            : {}),
        },
        settings,
        log,
        createNetwork,
      );
      return daemon;
    } catch (err) {
      // The same code as a node process that exits during start-up.
      const cause = describeError(err);
      throw new TestnetError("TESTNET_NODE_FAILED", `${node.name} failed to start: ${cause.message}`, {
        node: node.name,
        cause: cause.code,
      });
    }
  }

  private async startOne(node: NodeEntry, inProcess: boolean, bootstrap: string[]): Promise<void> {
    if (inProcess) {
      const daemon = await this.startInProcess(node, bootstrap);
      this.inProcess.set(node.index, daemon);
      node.pid = process.pid;
      node.rpcUrl = daemon.rpcUrl;
      node.peerId = daemon.net?.info().peerId;
      node.multiaddr = daemon.net?.info().multiaddrs[0];
    } else {
      this.entry ??= await nodeEntryFile(this.progress);
      const pid = await spawnNode(
        node,
        this.manifest.genesisFile,
        bootstrap,
        this.entry.file,
        this.entry.compileCache,
      );
      node.pid = pid;
      const info = await waitForRuntime(node, pid);
      node.rpcUrl = info.rpcUrl;
      node.peerId = info.peerId;
      node.multiaddr = info.multiaddrs?.[0];
    }
    this.clients.delete(node.index);
  }

  private async startAll(inProcess: boolean): Promise<void> {
    const started = Date.now();
    const [first, ...rest] = this.nodes;
    if (first === undefined) return;
    if (!inProcess) {
      this.entry ??= await nodeEntryFile(this.progress);
      if (!this.entry.compiled) this.progress(`node processes run the sources (${this.entry.reason})`);
    }
    await this.startOne(first, inProcess, []);
    this.progress(`${first.name} up (${first.rpcUrl}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await writeManifest(this.dir, this.manifest);
    // allSettled: on a failure the caller stops every node, so the others must have finished
    // starting (and registered) first, or they would be left running.
    const results = await Promise.allSettled(
      rest.map(async (n) => {
        await this.startOne(n, inProcess, first.multiaddr ? [first.multiaddr] : []);
        this.progress(`${n.name} up (${n.rpcUrl})`);
      }),
    );
    await writeManifest(this.dir, this.manifest);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * Connects the live nodes: a full mesh up to FULL_MESH_MAX_NODES nodes (each pair dialed once),
   * so partitions of any shape stay connected inside; above, the sparse topology of dialTargets
   * (on 16 nodes a full mesh's 120 handshakes were 5 s of the start-up).
   */
  async connectMesh(): Promise<void> {
    const up = this.nodes.filter((n) => n.multiaddr !== undefined && isAlive(n.pid));
    await Promise.all(
      up.map(async (a, i) => {
        const c = await this.client(a.index);
        // All of a node's dials at once: one after another, 15 handshakes on a loaded box took 5 s.
        await Promise.all(
          dialTargets(i, up.length).map((j) =>
            c.call("admin_connect", { multiaddr: up[j]!.multiaddr }).catch(() => {}),
          ),
        );
      }),
    );
  }

  /** Waits until every live node is connected and the heads agree within one block. */
  async waitForAgreement(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.status();
      const up = st.filter((s) => s.up);
      const heights = up.map((s) => s.height ?? 0);
      const connected = up.length <= 1 || up.every((s) => (s.peers ?? 0) >= 1);
      if (up.length === this.nodes.length && connected && Math.max(...heights) - Math.min(...heights) <= 1) {
        this.progress(`all ${up.length} nodes connected, heads agree at height ${Math.min(...heights)}`);
        return;
      }
      if (Date.now() > deadline) {
        throw new TestnetError(
          "TESTNET_TIMEOUT",
          `nodes did not agree within ${timeoutMs / 1000} s: ${JSON.stringify(st.map((s) => [s.name, s.height, s.peers]))}`,
        );
      }
      await sleep(200);
    }
  }

  /** Every node's status (a node whose process or RPC is gone shows as down). */
  async status(): Promise<NodeStatus[]> {
    return Promise.all(
      this.nodes.map(async (n): Promise<NodeStatus> => {
        const base: NodeStatus = {
          name: n.name,
          up: false,
          ...(n.pid ? { pid: n.pid } : {}),
          ...(n.rpcUrl ? { rpcUrl: n.rpcUrl } : {}),
        };
        if (!isAlive(n.pid) || (this.inProcess.size > 0 && !this.inProcess.has(n.index))) return base;
        try {
          const c = await this.client(n.index);
          const [head, peers, pool, info, consensus] = await c.batch([
            { method: "chain_getHead" },
            { method: "net_peers" },
            { method: "mempool_status" },
            { method: "node_info" },
            { method: "consensus_status" },
          ]);
          for (const r of [head, peers, pool, info]) if (r instanceof Error) throw r;
          const h = head as { height: number; hash: string };
          return {
            ...base,
            up: true,
            height: h.height,
            head: h.hash,
            peers: (peers as unknown[]).length,
            mempool: (pool as { size: number }).size,
            txsIncluded: (info as { txsIncluded?: number }).txsIncluded ?? 0,
            ...(consensus instanceof Error ? {} : finalityOf(consensus)),
          };
        } catch (err) {
          return { ...base, error: describeError(err).message };
        }
      }),
    );
  }

  /** SIGKILLs a node (a crash). */
  async kill(i: number): Promise<void> {
    const node = this.nodes[i]!;
    const d = this.inProcess.get(i);
    if (d) {
      this.inProcess.delete(i);
      await d.stop();
      // An in-process node's pid is this process's: left recorded, stop() would signal ourselves.
      node.pid = undefined;
    } else await stopProcess(node.pid, "SIGKILL");
    this.clients.delete(i);
  }

  /** Starts a stopped node again, bootstrapping to the live ones, and reconnects the mesh. */
  async restart(i: number): Promise<void> {
    const node = this.nodes[i]!;
    if (isAlive(node.pid) && (this.inProcess.size === 0 || this.inProcess.has(i))) {
      await this.stopNode(i);
    }
    const peers = this.nodes
      .filter((n) => n.index !== i && isAlive(n.pid) && n.multiaddr)
      .map((n) => n.multiaddr!);
    await this.startOne(node, this.inProcess.size > 0, peers);
    await writeManifest(this.dir, this.manifest);
    await this.connectMesh();
  }

  /** Stops one node gracefully. */
  async stopNode(i: number): Promise<void> {
    const d = this.inProcess.get(i);
    if (d) {
      this.inProcess.delete(i);
      await d.stop();
      this.nodes[i]!.pid = undefined;
    } else await stopProcess(this.nodes[i]!.pid, "SIGTERM");
    this.clients.delete(i);
  }

  /** Splits the nodes into groups that cannot reach each other, e.g. [[0,1],[2,3]]. */
  async partition(groups: number[][]): Promise<void> {
    const seen = new Set<number>();
    for (const g of groups) {
      for (const i of g) {
        if (this.nodes[i] === undefined) throw new TestnetError("TESTNET_NO_SUCH_NODE", `no node ${i}`);
        if (seen.has(i)) throw new TestnetError("TESTNET_BAD_OPTIONS", `node ${i} is in two groups`);
        seen.add(i);
      }
    }
    await Promise.all(
      groups.flatMap((g) =>
        g.map(async (i) => {
          const others = this.nodes.filter((n) => !g.includes(n.index) && n.peerId).map((n) => n.peerId!);
          if (others.length > 0) await (await this.client(i)).call("admin_partition", { peers: others });
        }),
      ),
    );
  }

  /** Lifts every partition and reconnects the mesh. */
  async heal(): Promise<void> {
    await Promise.all(
      this.nodes
        .filter((n) => isAlive(n.pid))
        .map(async (n) => (await this.client(n.index)).call("admin_heal")),
    );
    await this.connectMesh();
  }

  /** Stops every node gracefully; leaves no process behind. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i).catch(() => {})));
    for (const n of this.nodes)
      if (isAlive(n.pid) && n.pid !== process.pid) await stopProcess(n.pid, "SIGKILL");
    for (const n of this.nodes) delete n.pid;
    await this.verifyPool?.close();
    this.verifyPool = undefined;
    await writeManifest(this.dir, this.manifest).catch(() => {});
  }

  /** Hash prefix helper for displays. */
  static short(hash: string | undefined): string {
    return hash ? hash.slice(0, 12) : "-";
  }
}
