/**
 * The node's Prometheus metrics on a registry of its own (never prom-client's global one), so
 * several nodes can run in one process. The node sets the chain gauges; the RPC layer sets its own.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Typed handles of every chainlab metric, plus the registry that exposes them. */
export interface NodeMetrics {
  registry: Registry;
  headHeight: Gauge;
  peers: Gauge;
  mempoolSize: Gauge;
  blocksImported: Counter;
  reorgs: Counter;
  reorgDepth: Histogram;
  rejectedTxs: Counter<"reason">;
  /** A gauge the consensus engine exports, created on first use (names start with `chainlab_`). */
  engineGauge(name: string, help: string): Gauge;
  rpcRequests: Counter<"method" | "status">;
  rpcDuration: Histogram<"method">;
  authFailures: Counter<"reason">;
  webhookDeliveries: Counter<"event" | "outcome">;
}

/** Options of createNodeMetrics. */
export interface NodeMetricsOptions {
  /** Collect prom-client's process and Node.js metrics, prefixed `chainlab_` (default true). */
  defaultMetrics?: boolean;
}

/** Creates the registry and every metric with its HELP text. */
export function createNodeMetrics(options: NodeMetricsOptions = {}): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const engineGauges = new Map<string, Gauge>();
  if (options.defaultMetrics ?? true) addDefaultMetrics(registry);
  return {
    registry,
    headHeight: new Gauge({
      name: "chainlab_head_height",
      help: "Height of the canonical head block.",
      registers,
    }),
    peers: new Gauge({ name: "chainlab_peers", help: "Number of connected peers.", registers }),
    mempoolSize: new Gauge({
      name: "chainlab_mempool_transactions",
      help: "Number of transactions in the mempool.",
      registers,
    }),
    blocksImported: new Counter({
      name: "chainlab_blocks_imported_total",
      help: "Blocks imported into the block tree.",
      registers,
    }),
    reorgs: new Counter({
      name: "chainlab_reorgs_total",
      help: "Reorganisations of the canonical chain.",
      registers,
    }),
    reorgDepth: new Histogram({
      name: "chainlab_reorg_depth_blocks",
      help: "Number of canonical blocks reverted by a reorganisation.",
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64],
      registers,
    }),
    rejectedTxs: new Counter({
      name: "chainlab_txs_rejected_total",
      help: "Transactions rejected, by error code.",
      labelNames: ["reason"],
      registers,
    }),
    engineGauge: (name, help) => {
      let g = engineGauges.get(name);
      if (g === undefined) {
        if (!/^chainlab_[a-z0-9_]+$/.test(name))
          throw new RangeError(`engine metric ${name} must be chainlab_[a-z0-9_]+`);
        g = new Gauge({ name, help, registers });
        engineGauges.set(name, g);
      }
      return g;
    },
    rpcRequests: new Counter({
      name: "chainlab_rpc_requests_total",
      help: "JSON-RPC calls, by method and outcome.",
      labelNames: ["method", "status"],
      registers,
    }),
    rpcDuration: new Histogram({
      name: "chainlab_rpc_request_duration_seconds",
      help: "Time to handle a JSON-RPC call, by method.",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    authFailures: new Counter({
      name: "chainlab_rpc_auth_failures_total",
      help: "Requests refused by authentication or authorization, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: "chainlab_webhook_deliveries_total",
      help: "Webhook delivery attempts, by event and outcome.",
      labelNames: ["event", "outcome"],
      registers,
    }),
  };
}

/** prom-client's gauges named `*_total`, which `promtool check metrics` rejects (it also exports
 * `chainlab_nodejs_active_resources` and `_handles` / `_requests` gauges without the suffix). */
const NON_COUNTER_TOTALS = [
  "chainlab_nodejs_active_handles_total",
  "chainlab_nodejs_active_requests_total",
  "chainlab_nodejs_active_resources_total",
];

function addDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: "chainlab_" });
  for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
}
