/**
 * The supervisor's read side: polls every node of the testnet over its signed RPC (with the
 * testnet's key files, which never leave this process), keeps the block store and one row per
 * node, and tells its listeners after each round.
 */
import { readFile } from "node:fs/promises";
import { describeError } from "../core/errors.ts";
import { createRpcClient, type RpcClient } from "../rpc/index.ts";
import { isAlive, type Manifest, type NodeEntry } from "../testnet/index.ts";
import { BlockStore } from "./block-store.ts";
import { fetchMissing, type NodePoll, parseProcessFigures, pollNode } from "./node-poll.ts";
import { ParticipationHistory } from "./pos.ts";

/** One node as the node table shows it. */
export interface NodeRow {
  name: string;
  index: number;
  miner: boolean;
  /** Validator indexes the node runs (a slot engine's testnet lists them in the manifest). */
  validators?: number[];
  coinbase?: string;
  state: "up" | "down" | "syncing";
  height?: number;
  head?: string;
  finalized?: number;
  peers?: number;
  /** Names (or peer ids, for peers outside the testnet) of the connected peers. */
  peerNames: string[];
  mempool?: number;
  txRate?: number;
  rssBytes?: number;
  cpuPercent?: number;
  /** chainlab's version as the node's node_info reports it. */
  version?: string;
  /** The Node.js runtime (node_info, or /metrics for a node that does not report it). */
  runtime?: string;
  rpcUrl?: string;
  error?: string;
  /** consensus_status as the engine reported it. */
  consensus?: Record<string, unknown>;
}

/** Options of Poller. */
export interface PollerOptions {
  /** The current manifest (re-read each round, so restarts elsewhere are followed). */
  manifest: () => Promise<Manifest>;
  intervalMs?: number;
  /** Every how many rounds /metrics is read. */
  metricsEvery?: number;
  /** Blocks fetched below a head the first time it is seen. */
  backfill?: number;
  keepHeights?: number;
}

interface Tracker {
  up: boolean;
  /** Included-tx counts of the polls of the last TX_WINDOW_MS (the tx/s window). */
  txs: { at: number; count: number }[];
  cpu?: { at: number; seconds: number };
  figures: { rssBytes?: number; cpuPercent?: number; runtime?: string };
}

/** The window of the tx/s column: blocks come every second or so, so a shorter one flickers to 0. */
const TX_WINDOW_MS = 10_000;

/** Polls the nodes in rounds; `rows` and `store` hold the last round's view. */
export class Poller {
  readonly store: BlockStore;
  /** PoS participation per epoch across rounds (empty unless the engine reports it). */
  readonly participation = new ParticipationHistory();
  rows: NodeRow[] = [];
  manifest: Manifest | undefined;
  private readonly o: Required<Omit<PollerOptions, "keepHeights">>;
  private readonly clients = new Map<string, RpcClient>();
  private readonly trackers = new Map<string, Tracker>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private round = 0;
  private current: Promise<void> = Promise.resolve();

  constructor(o: PollerOptions) {
    this.o = { intervalMs: 500, metricsEvery: 4, backfill: 200, ...o };
    this.store = new BlockStore({ keepHeights: o.keepHeights ?? 2000 });
  }

  /** Time between rounds (the resolution of the propagation delays). */
  get intervalMs(): number {
    return this.o.intervalMs;
  }

  /** Calls `fn` after every round; returns the unsubscribe function. */
  onUpdate(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = async () => {
      this.current = this.pollRound();
      await this.current;
      if (this.running) this.timer = setTimeout(loop, this.o.intervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  /** One round now (also used by start's loop). */
  async pollRound(): Promise<void> {
    const manifest = await this.o.manifest().catch(() => this.manifest);
    if (manifest === undefined) return;
    this.manifest = manifest;
    const withMetrics = this.round++ % this.o.metricsEvery === 0;
    const byPeerId = new Map(manifest.nodes.filter((n) => n.peerId).map((n) => [n.peerId!, n.name]));
    this.rows = await Promise.all(manifest.nodes.map((n) => this.pollOne(n, byPeerId, withMetrics)));
    this.participation.observe(this.rows);
    for (const fn of this.listeners) fn();
  }

  private async client(n: NodeEntry): Promise<RpcClient> {
    const key = `${n.rpcUrl}|${n.adminKeyFile}`;
    let c = this.clients.get(key);
    if (c === undefined) {
      const credential = (await readFile(n.adminKeyFile, "utf8")).trim();
      c = createRpcClient({ url: n.rpcUrl!, credential, timeoutMs: 3_000 });
      this.clients.set(key, c);
    }
    return c;
  }

  private async pollOne(n: NodeEntry, byPeerId: Map<string, string>, withMetrics: boolean): Promise<NodeRow> {
    const t = this.trackers.get(n.name) ?? { up: false, figures: {}, txs: [] };
    this.trackers.set(n.name, t);
    const base: NodeRow = {
      name: n.name,
      index: n.index,
      miner: n.miner,
      ...validatorsOf(n),
      ...(n.coinbase ? { coinbase: n.coinbase } : {}),
      state: "down",
      peerNames: [],
      ...(n.rpcUrl ? { rpcUrl: n.rpcUrl } : {}),
    };
    const gone = n.pid === undefined || (n.pid !== process.pid && !isAlive(n.pid));
    if (n.rpcUrl === undefined || gone) {
      t.up = false;
      t.txs = [];
      return base;
    }
    let poll: NodePoll;
    const now = Date.now();
    try {
      const c = await this.client(n);
      poll = await pollNode(c);
      await fetchMissing(c, this.store, poll.head, this.o.backfill);
      if (withMetrics) this.readFigures(t, parseProcessFigures(await c.metrics()), now);
    } catch (err) {
      t.up = false;
      t.txs = [];
      return { ...base, error: describeError(err).message };
    }
    // The first poll of a node (or its first after being down) only sets its head: it had those
    // blocks before we looked, so they say nothing about propagation.
    this.store.observeHead(n.name, poll.head.hash, now, !t.up);
    t.up = true;
    let txRate: number | undefined;
    t.txs.push({ at: now, count: poll.txsIncluded });
    while (t.txs.length > 2 && now - t.txs[1]!.at >= TX_WINDOW_MS) t.txs.shift();
    const oldest = t.txs[0]!;
    if (now > oldest.at) txRate = Math.max(0, ((poll.txsIncluded - oldest.count) * 1000) / (now - oldest.at));
    const finalized = finalizedHeight(poll.consensus);
    return {
      ...base,
      state: poll.syncing ? "syncing" : "up",
      height: poll.head.height,
      head: poll.head.hash,
      ...(finalized !== undefined ? { finalized } : {}),
      peers: poll.peers.length,
      peerNames: poll.peers.map((p) => byPeerId.get(p.id) ?? p.id),
      mempool: poll.mempool,
      ...(txRate !== undefined ? { txRate } : {}),
      ...t.figures,
      ...(poll.version !== undefined ? { version: poll.version } : {}),
      ...(poll.runtime !== undefined ? { runtime: poll.runtime } : {}),
      consensus: poll.consensus,
    };
  }

  private readFigures(t: Tracker, f: ReturnType<typeof parseProcessFigures>, now: number): void {
    if (f.rssBytes !== undefined) t.figures.rssBytes = f.rssBytes;
    if (f.runtime !== undefined) t.figures.runtime = f.runtime;
    if (f.cpuSeconds !== undefined) {
      if (t.cpu && now > t.cpu.at) {
        t.figures.cpuPercent = Math.max(0, ((f.cpuSeconds - t.cpu.seconds) * 100_000) / (now - t.cpu.at));
      }
      t.cpu = { at: now, seconds: f.cpuSeconds };
    }
  }
}

/** The validator indexes a manifest entry lists, if any (read structurally: only slot engines have them). */
function validatorsOf(n: NodeEntry): { validators?: number[] } {
  const v = (n as { validators?: unknown }).validators;
  return Array.isArray(v) && v.every((i) => Number.isSafeInteger(i)) ? { validators: v.slice(0, 64) } : {};
}

/** The finalized height in an engine status that reports one (`finalized` checkpoint or height). */
export function finalizedHeight(status: Record<string, unknown>): number | undefined {
  const f = status["finalized"];
  if (typeof f === "number") return f;
  if (f && typeof f === "object" && typeof (f as { height?: unknown }).height === "number") {
    return (f as { height: number }).height;
  }
  return typeof status["finalizedHeight"] === "number" ? status["finalizedHeight"] : undefined;
}
