/**
 * One chainlab node, wired from config: storage, chain, mempool, the consensus engine chosen by
 * genesis.consensus.type (the only place that chooses), and the block producer. Start/stop
 * lifecycle; stop() halts production, drains imports and closes LevelDB.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Chain, type HeadChange, type ImportResult } from "../chain/chain.ts";
import type { BlockProducer, ConsensusEngine, ProducerContext } from "../consensus/engine.ts";
import { createEngine, type EngineOptions } from "../consensus/registry.ts";
import type { Block } from "../core/block.ts";
import { ChainlabError, describeError } from "../core/errors.ts";
import type { Genesis } from "../core/genesis.ts";
import type { Tx } from "../core/tx.ts";
import { createVerifyPool, type SignatureVerifier } from "../crypto/verify-pool.ts";
import { type AddResult, createMempool, type Mempool } from "../mempool/index.ts";
import type { ImportSource } from "../p2p/index.ts";
import { ChainStore, openChainDb } from "../storage/chain-store.ts";
import type { Logger } from "./logger.ts";
import { Publisher } from "./publisher.ts";

/** Block production settings: the generic beneficiary, and engine overrides (PoW: threads, hashrate). */
export interface ProduceConfig {
  beneficiary: Uint8Array;
  /** Merged over NodeConfig.engineConfig for this producer (miner_start's threads and hashrate). */
  engine?: Record<string, unknown>;
}

/** Everything a node needs to run. */
export interface NodeConfig {
  dataDir: string;
  genesis: Genesis;
  /** How to produce blocks; used by startProducing and miner_start. */
  produce?: ProduceConfig;
  /** The engine's own config section (`pow.*`), handed to the engine unread. */
  engineConfig?: Record<string, unknown>;
  /** Start producing when the daemon starts (default: when `produce` is set). */
  autoProduce?: boolean;
  maxBlockTxs?: number;
  mempool?: {
    maxTxs?: number;
    maxPerSender?: number;
    maxFutureGap?: number;
    maxBytes?: number;
    maxQueued?: number;
    queuedTtlMs?: number;
  };
  engine?: EngineOptions;
  now?: () => number;
  /** How long to retry a data dir locked by another process before failing (the daemon: 3 s). */
  waitForLockMs?: number;
  /**
   * Signature verification: worker threads of the node's own pool (default one per core, 0 = the
   * main thread), or a pool shared with other nodes (in-process testnets), which the node does
   * not close.
   */
  verify?: { threads?: number; pool?: SignatureVerifier };
  /** Most verified (tx id, signature) pairs remembered (default 100,000, about 20 MB). */
  sigCacheSize?: number;
}

/** A running node's components. */
export class ChainlabNode {
  readonly config: NodeConfig;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly engine: ConsensusEngine;
  readonly log: Logger;
  private producer: BlockProducer | undefined;
  private readonly invalidators = new Set<(reason: "head" | "txs") => void>();
  private readonly blockListeners = new Set<(block: Block, result: ImportResult) => void>();
  private readonly rejectListeners = new Set<(code: string) => void>();
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  private announcer: ((block: Block) => Promise<void>) | undefined;
  /** Everything the node sends leaves through here (experiments set its policy). */
  readonly outbound: Publisher;
  /** Transactions included in canonical blocks since this process started (net of reorgs). */
  txsIncluded = 0;

  private constructor(
    config: NodeConfig,
    chain: Chain,
    mempool: Mempool,
    engine: ConsensusEngine,
    log: Logger,
  ) {
    this.config = config;
    this.chain = chain;
    this.mempool = mempool;
    this.engine = engine;
    this.log = log;
    this.outbound = new Publisher(log);
  }

  /** Opens the data dir and builds the components (does not start production). */
  static async open(config: NodeConfig, log: Logger): Promise<ChainlabNode> {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    const engine = createEngine(config.genesis, config.engine);
    const db = await openChainDb(join(config.dataDir, "chain"), { waitForLockMs: config.waitForLockMs ?? 0 });
    const shared = config.verify?.pool;
    const verifier =
      shared ??
      createVerifyPool(config.verify?.threads !== undefined ? { threads: config.verify.threads } : {});
    let chain: Chain;
    try {
      chain = await Chain.open({
        store: new ChainStore(db),
        engine,
        genesis: config.genesis,
        log,
        verifier,
        ...(config.sigCacheSize !== undefined ? { sigCacheSize: config.sigCacheSize } : {}),
        ...(config.now ? { now: config.now } : {}),
      });
    } catch (err) {
      await db.close();
      if (shared === undefined) await verifier.close();
      throw err;
    }
    const m = config.mempool;
    const mempool = createMempool(
      {
        rules: chain.rules,
        maxTxs: m?.maxTxs ?? 50_000,
        maxPerSender: m?.maxPerSender ?? 1024,
        maxFutureGap: m?.maxFutureGap ?? 256,
        ...(m?.maxBytes !== undefined ? { maxBytes: m.maxBytes } : {}),
        ...(m?.maxQueued !== undefined ? { maxQueued: m.maxQueued } : {}),
        ...(m?.queuedTtlMs !== undefined ? { queuedTtlMs: m.queuedTtlMs } : {}),
      },
      { getAccount: (a) => chain.getAccount(a), headHeight: () => chain.head().header.height, logger: log },
    );
    const node = new ChainlabNode(config, chain, mempool, engine, log);
    engine.attach?.({
      headState: () => chain.state,
      deliver: (m) => chain.onEngineMessage(m),
      publish: (topic, bytes) => void node.outbound.publish(topic, bytes),
      log: log.child({ module: "engine" }),
    });
    chain.onHeadChange((c) => node.onHeadChange(c));
    mempool.onAdded((e) => {
      chain.sigCache.add(e.id, e.tx.signature);
      for (const l of node.invalidators) l("txs");
    });
    return node;
  }

  private onHeadChange(change: HeadChange): void {
    for (const b of change.connected) this.txsIncluded += b.txs.length;
    for (const b of change.disconnected) this.txsIncluded -= b.txs.length;
    this.mempool.onHeadChanged({ connected: change.connected, disconnected: change.disconnected });
    for (const l of this.invalidators) l("head");
  }

  /** The context a producer builds and submits blocks through. */
  private producerContext(): ProducerContext {
    const maxTxs = this.config.maxBlockTxs ?? 2000;
    const build = this.chain.templateBuilder();
    return {
      view: this.chain.view,
      now: this.config.now ?? Date.now,
      log: this.log.child({ module: "producer" }),
      buildTemplate: ({ beneficiary, timestamp, engineFields, engineBody }) => {
        const height = this.chain.head().header.height + 1;
        const txs = this.mempool.selectForBlock({ maxTxs, height });
        return build({
          beneficiary,
          timestamp,
          engineFields,
          txs,
          maxTxs,
          ...(engineBody ? { engineBody } : {}),
        });
      },
      submitBlock: async (block) => {
        // Peers start validating while we import: our own template is valid by construction.
        if (this.announcer) void this.announcer(block).catch(() => {});
        await this.importBlock(block, { kind: "local" });
      },
      publish: (topic, bytes) => void this.outbound.publish(topic, bytes),
      onTemplateInvalidated: (listener) => {
        this.invalidators.add(listener);
        return () => this.invalidators.delete(listener);
      },
    };
  }

  /** Imports a block from any source and tells block listeners (p2p relays it). */
  async importBlock(block: Block, source: ImportSource = { kind: "local" }): Promise<ImportResult> {
    const result = await this.chain.importBlock(block, {
      ...(source.peer !== undefined ? { peer: source.peer } : {}),
      ...(source.bytes !== undefined ? { bytes: source.bytes } : {}),
      // Only a range sync is held to a better-chain claim (and banned for a false one); an ancestor
      // fetch follows an unrequested orphan, so it gets no pass on the low-work filter.
      requested: source.kind === "sync",
    });
    if (result.status === "head" || result.status === "side") {
      for (const l of this.blockListeners) {
        try {
          l(block, result);
        } catch (err) {
          this.log.error({ err: describeError(err), source }, "block listener failed");
        }
      }
    }
    return result;
  }

  /** Publishes locally produced blocks before importing them (set by the network layer). */
  setBlockAnnouncer(announce: ((block: Block) => Promise<void>) | undefined): void {
    this.announcer = announce;
  }

  /** Subscribes to newly imported blocks (head or side). */
  onBlockImported(listener: (block: Block, result: ImportResult) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  /** Admits a transaction to the mempool; throws TxError or MempoolError (counted by code). */
  submitTx(input: Tx | Uint8Array): AddResult {
    try {
      return this.mempool.add(input);
    } catch (err) {
      const code = err instanceof ChainlabError ? err.code : "INTERNAL";
      for (const l of this.rejectListeners) l(code);
      throw err;
    }
  }

  /** Subscribes to rejected transaction submissions (by error code). */
  onTxRejected(listener: (code: string) => void): () => void {
    this.rejectListeners.add(listener);
    return () => this.rejectListeners.delete(listener);
  }

  /** Starts block production (if configured or given). */
  startProducing(produce: ProduceConfig | undefined = this.config.produce): void {
    if (produce === undefined || this.producer?.running) return;
    this.producer = this.engine.createProducer(this.producerContext(), {
      beneficiary: produce.beneficiary,
      engine: { ...this.config.engineConfig, ...produce.engine },
      dataDir: this.config.dataDir,
    });
    this.producer.start();
    this.log.info({ engine: this.engine.type }, "block production started");
  }

  async stopProducing(): Promise<void> {
    if (this.producer === undefined) return;
    await this.producer.stop();
    this.producer = undefined;
    this.log.info("block production stopped");
  }

  get producing(): boolean {
    return this.producer?.running ?? false;
  }

  /** Starts the engine's services and its clock (slot engines tick the fork choice). */
  start(): void {
    this.engine.start();
    if (this.engine.tickMs > 0 && this.ticker === undefined) {
      this.ticker = setInterval(() => {
        this.chain.tick().catch((err: unknown) => this.log.error({ err: describeError(err) }, "tick failed"));
      }, this.engine.tickMs);
      this.ticker.unref();
    }
  }

  /** Stops production, drains imports and closes the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    await this.stopProducing();
    await this.engine.stop();
    await this.chain.drain();
    if (this.config.verify?.pool === undefined) await this.chain.verifier.close();
    await this.chain.store.close();
  }
}
