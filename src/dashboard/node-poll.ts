/**
 * One poll of one node over its signed RPC: head, peers, mempool, node info, the engine's status
 * and sync progress in one batch, and (less often) process figures from /metrics. Also fetches the
 * blocks the dashboard does not have yet under a node's head.
 */
import type { RpcClient } from "../rpc/index.ts";
import type { BlockInfo, BlockStore } from "./block-store.ts";

/** What one poll of a node returned. */
export interface NodePoll {
  head: BlockInfo;
  peers: { id: string }[];
  mempool: number;
  txsIncluded: number;
  peerId?: string;
  /** chainlab's version and the Node.js runtime, as node_info reports them. */
  version?: string;
  runtime?: string;
  /** The engine's status as consensus_status reports it (PoW: difficulty, hashrate, ...). */
  consensus: Record<string, unknown>;
  syncing: boolean;
}

/** Process figures from /metrics. */
export interface ProcessFigures {
  cpuSeconds?: number;
  rssBytes?: number;
  runtime?: string;
}

/** A block from chain_getBlockBy*: the fields the dashboard keeps. */
export function toBlockInfo(json: unknown): BlockInfo | undefined {
  const b = json as Record<string, unknown> | null;
  if (b === null || typeof b !== "object" || typeof b["hash"] !== "string") return undefined;
  const weight = b["cumulativeWork"];
  return {
    hash: b["hash"],
    height: Number(b["height"]),
    parentHash: String(b["parentHash"]),
    timestamp: Number(b["timestamp"]),
    beneficiary: String(b["beneficiary"] ?? ""),
    txCount: Number(b["txCount"] ?? 0),
    ...(typeof weight === "string" && /^[0-9]+$/.test(weight) ? { weight: BigInt(weight) } : {}),
  };
}

/** Polls one node; throws when it cannot be reached. */
export async function pollNode(client: RpcClient): Promise<NodePoll> {
  const [head, peers, pool, info, consensus, stats] = await client.batch([
    { method: "chain_getHead" },
    { method: "net_peers" },
    { method: "mempool_status" },
    { method: "node_info" },
    { method: "consensus_status" },
    { method: "net_stats" },
  ]);
  for (const r of [head, peers, pool, info]) if (r instanceof Error) throw r;
  const block = toBlockInfo(head);
  if (block === undefined) throw new Error("chain_getHead returned no block");
  const i = info as Record<string, unknown>;
  const sync = stats instanceof Error ? undefined : (stats as { sync?: { syncing?: boolean } }).sync;
  return {
    head: block,
    peers: (peers as { id: string }[]).filter((p) => typeof p?.id === "string"),
    mempool: Number((pool as { size?: number }).size ?? 0),
    txsIncluded: Number(i["txsIncluded"] ?? 0),
    ...(typeof i["peerId"] === "string" ? { peerId: i["peerId"] } : {}),
    ...(typeof i["version"] === "string" ? { version: i["version"].slice(0, 40) } : {}),
    ...(typeof i["runtime"] === "string" ? { runtime: i["runtime"].slice(0, 40) } : {}),
    consensus: consensus instanceof Error ? {} : ((consensus ?? {}) as Record<string, unknown>),
    syncing: sync?.syncing === true,
  };
}

/** The value of an unlabelled sample, or of the first sample of `name`, in Prometheus text. */
function sample(text: string, name: string): { value: number; labels: string } | undefined {
  const m = new RegExp(`^${name}(\\{[^}]*\\})? ([^\\s]+)`, "m").exec(text);
  return m ? { value: Number(m[2]), labels: m[1] ?? "" } : undefined;
}

/** CPU seconds, RSS and runtime version from a node's /metrics text. */
export function parseProcessFigures(text: string): ProcessFigures {
  const cpu = sample(text, "chainlab_process_cpu_seconds_total");
  const rss = sample(text, "chainlab_process_resident_memory_bytes");
  const version = /version="([^"]+)"/.exec(sample(text, "chainlab_nodejs_version_info")?.labels ?? "");
  return {
    ...(cpu ? { cpuSeconds: cpu.value } : {}),
    ...(rss ? { rssBytes: rss.value } : {}),
    ...(version ? { runtime: `node ${version[1]}` } : {}),
  };
}

/**
 * Stores the head and the blocks under it the store lacks: a batch by height for a run of
 * canonical blocks, then a walk by parent hash to the fork point (bounded).
 */
export async function fetchMissing(client: RpcClient, store: BlockStore, head: BlockInfo, backfill: number) {
  if (store.has(head.hash)) return;
  store.add(head);
  const known = [...store.all()].reduce((m, b) => Math.max(m, b.height), -1);
  const from = Math.max(0, head.height - backfill, known >= 0 ? Math.min(known, head.height - 1) : 0);
  if (head.height - from > 1) {
    const heights = Array.from({ length: head.height - from }, (_, k) => from + k);
    const got = await client.batch(
      heights.map((height) => ({ method: "chain_getBlockByHeight", params: { height } })),
    );
    for (const g of got) {
      const b = g instanceof Error ? undefined : toBlockInfo(g);
      if (b) store.add(b);
    }
  }
  // The run by height may belong to another branch than the head (a reorg in between): walk.
  let cursor = store.get(head.hash);
  for (let steps = 0; cursor && cursor.height > 0 && steps < 256; steps++) {
    if (!store.has(cursor.parentHash)) {
      const p = toBlockInfo(await client.call("chain_getBlockByHash", { hash: cursor.parentHash }));
      if (p === undefined) return;
      store.add(p);
    }
    const parent = store.get(cursor.parentHash);
    if (parent === undefined || parent.height < head.height - backfill) return;
    cursor = parent;
    if (cursor.seen.size > 0 || cursor.held.size > 0) return;
  }
}
