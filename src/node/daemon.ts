/**
 * The daemon: a ChainlabNode plus its services (JSON-RPC with API keys, metrics, webhooks, p2p),
 * started in order and stopped in reverse. Publishes DIR/node.json while running.
 */
import { rm, writeFile } from "node:fs/promises";
import type { Block } from "../core/block.ts";
import { ChainlabError, describeError } from "../core/errors.ts";
import { toHex } from "../core/hash.ts";
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  type AuditLog,
  auditLogPath,
  createNodeMetrics,
  createRpcServer,
  ensureAdminKey,
  loadOrCreateMasterKey,
  type NodeMetrics,
  openApiKeyStore,
  openAuditLog,
  openWebhookService,
  type RpcServer,
  registerWebhookMethods,
  systemClock,
  type WebhookRecord,
  type WebhookService,
} from "../rpc/index.ts";
import type { NodeSettings } from "./config.ts";
import { dataDirPaths, type RuntimeInfo } from "./data-dir.ts";
import type { Logger } from "./logger.ts";
import { ChainlabNode, type NodeConfig } from "./node.ts";
import { type NetControl, registerNodeMethods } from "./rpc-methods.ts";

/** A network service the daemon can run (p2p/ provides it). */
export interface NetworkService extends NetControl {
  start(): Promise<void>;
  stop(): Promise<void>;
  peerCount(): number;
  /** Publishes a locally sealed block before it is imported (optional). */
  announceBlock?(block: Block): Promise<void>;
}

/** Builds the network service for a node (injected so node/ does not depend on p2p internals). */
export type NetworkFactory = (
  node: ChainlabNode,
  settings: NodeSettings,
  log: Logger,
) => Promise<NetworkService>;

/** A running daemon. */
export interface Daemon {
  node: ChainlabNode;
  rpcUrl: string | undefined;
  adminKeyPath: string | undefined;
  net: NetworkService | undefined;
  metrics: NodeMetrics;
  stop(): Promise<void>;
}

/** Opens the node and starts every service; on failure, stops what it started. */
export async function startDaemon(
  config: NodeConfig,
  settings: NodeSettings,
  log: Logger,
  network?: NetworkFactory,
): Promise<Daemon> {
  const node = await ChainlabNode.open(config, log);
  // We hold the data dir's lock now: a node.json left by a killed process describes nothing.
  await rm(dataDirPaths(config.dataDir).runtime, { force: true });
  const cleanups: (() => Promise<void>)[] = [() => node.stop()];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err: describeError(err) }, "error during shutdown");
      }
    }
  };
  try {
    const paths = dataDirPaths(config.dataDir);
    const metrics = createNodeMetrics();
    wireMetrics(node, metrics);

    let net: NetworkService | undefined;
    if (settings["p2p.enabled"] && network) {
      net = await network(node, settings, log);
      await net.start();
      cleanups.push(() => net!.stop());
      if (net.announceBlock) {
        const n = net;
        node.setBlockAnnouncer((block) => n.announceBlock!(block));
        cleanups.push(async () => node.setBlockAnnouncer(undefined));
      }
    }

    let rpcUrl: string | undefined;
    let adminKeyPath: string | undefined;
    if (settings["rpc.enabled"]) {
      const db = node.chain.store.db;
      const masterKey = loadOrCreateMasterKey(config.dataDir);
      const audit: AuditLog = openAuditLog(auditLogPath(config.dataDir), { clock: systemClock });
      cleanups.push(() => audit.close());
      const keys: ApiKeyStore = await openApiKeyStore({
        db: db.sublevel<string, ApiKeyRecord>("rpc-keys", { valueEncoding: "json" }),
        masterKey,
        audit,
        logger: log,
        clock: systemClock,
      });
      cleanups.push(() => keys.close());
      const admin = await ensureAdminKey(keys, config.dataDir);
      adminKeyPath = admin.path;
      const server: RpcServer = createRpcServer(
        {
          host: settings["rpc.host"],
          port: settings["rpc.port"],
          timestampWindowMs: settings["rpc.timestamp_window"],
          maxBodyBytes: settings["rpc.max_body_bytes"],
          rateLimit: { ratePerSecond: settings["rpc.rate_limit"], burst: settings["rpc.rate_burst"] },
          metricsPublic: settings["rpc.metrics_public"],
          allowRemote: settings["rpc.allow_remote"],
          allowedHosts: settings["rpc.allowed_hosts"],
          allowedOrigins: settings["rpc.allowed_origins"],
          maxConnections: settings["rpc.max_connections"],
          health: () => ({ height: node.chain.head().header.height, peers: net?.peerCount() ?? 0 }),
        },
        { keys, audit, metrics, logger: log },
      );
      const webhooks: WebhookService = await openWebhookService(
        {},
        {
          db: db.sublevel<string, WebhookRecord>("rpc-webhooks", { valueEncoding: "json" }),
          masterKey,
          audit,
          logger: log,
          metrics,
          clock: systemClock,
        },
      );
      cleanups.push(() => webhooks.stop());
      registerWebhookMethods(server.registry, webhooks);
      wireWebhooks(node, webhooks);
      registerNodeMethods(server, node, {
        ...(net ? { net } : {}),
        info: () => ({ rpcUrl, pid: process.pid }),
      });
      try {
        rpcUrl = await server.start();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
          throw new ChainlabError(
            "RPC_PORT_IN_USE",
            `RPC port ${settings["rpc.port"]} on ${settings["rpc.host"]} is in use (pick another with --rpc-port, or 0 for a free one)`,
          );
        }
        throw err;
      }
      cleanups.push(() => server.stop());
      log.info({ url: rpcUrl, adminKey: admin.path, created: admin.created }, "RPC listening");
    }

    const runtime: RuntimeInfo = {
      pid: process.pid,
      startedAt: Date.now(),
      ...(rpcUrl ? { rpcUrl } : {}),
      ...(net ? { peerId: net.info().peerId, multiaddrs: net.info().multiaddrs } : {}),
    };
    await writeFile(paths.runtime, JSON.stringify(runtime, null, 2), { mode: 0o600 });
    cleanups.push(() => rm(paths.runtime, { force: true }));
    if (net) metrics.peers.set(net.peerCount());
    const peerTimer = setInterval(() => {
      if (net) metrics.peers.set(net.peerCount());
      setEngineMetrics(node, metrics);
      metrics.mempoolSize.set(node.mempool.size);
    }, 1000);
    peerTimer.unref();
    cleanups.push(async () => clearInterval(peerTimer));

    node.start();
    if (config.autoProduce ?? config.produce !== undefined) node.startProducing();
    return { node, rpcUrl, adminKeyPath, net, metrics, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The engine's own gauges (PoW: hashrate), behind the seam. */
function setEngineMetrics(node: ChainlabNode, metrics: NodeMetrics): void {
  for (const m of node.engine.metrics()) metrics.engineGauge(m.name, m.help).set(m.value);
}

function wireMetrics(node: ChainlabNode, metrics: NodeMetrics): void {
  setEngineMetrics(node, metrics);
  metrics.headHeight.set(node.chain.head().header.height);
  node.chain.onHeadChange((c) => {
    metrics.headHeight.set(c.head.header.height);
    metrics.mempoolSize.set(node.mempool.size);
    if (c.disconnected.length > 0) {
      metrics.reorgs.inc();
      metrics.reorgDepth.observe(c.disconnected.length);
    }
  });
  node.onBlockImported(() => metrics.blocksImported.inc());
  node.onTxRejected((code) => metrics.rejectedTxs.inc({ reason: code }));
}

function wireWebhooks(node: ChainlabNode, webhooks: WebhookService): void {
  node.chain.onHeadChange((c) => {
    webhooks.emit("new_head", {
      height: c.head.header.height,
      hash: toHex(c.head.hash),
      txs: c.connected.reduce((n, b) => n + b.txs.length, 0),
    });
    if (c.disconnected.length > 0) {
      webhooks.emit("reorg", {
        depth: c.disconnected.length,
        oldHead: toHex(c.previous.hash),
        newHead: toHex(c.head.hash),
        height: c.head.header.height,
      });
    }
  });
}
