/**
 * What the panels show, computed from the block store and the nodes' polls: the best tip, the
 * canonical window, block intervals, the fork tree with tips and stale blocks, propagation delays,
 * producer share against hashrate share, and the topology's connected components. Pure functions.
 */
import type { BlockStore, StoredBlock } from "./block-store.ts";

/** One bin of a histogram: [from, to) and how many values fall in it. */
export interface Bin {
  from: number;
  to: number;
  count: number;
}

/** Fixed-width bins over `values` (empty when there are none). */
export function histogram(values: number[], bins = 12): Bin[] {
  if (values.length === 0) return [];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const out: Bin[] = Array.from({ length: bins }, (_, i) => ({
    from: lo + i * width,
    to: lo + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) out[Math.min(bins - 1, Math.floor((v - lo) / width))]!.count++;
  return out;
}

/** The heaviest of the nodes' heads (reported weight, then height, then hash for a stable tie). */
export function bestTip(store: BlockStore): StoredBlock | undefined {
  let best: StoredBlock | undefined;
  for (const hash of store.heads.values()) {
    const b = store.get(hash);
    if (b === undefined) continue;
    if (best === undefined || heavier(b, best)) best = b;
  }
  return best;
}

function heavier(a: StoredBlock, b: StoredBlock): boolean {
  if (a.weight !== undefined && b.weight !== undefined && a.weight !== b.weight) return a.weight > b.weight;
  if (a.height !== b.height) return a.height > b.height;
  return a.hash < b.hash;
}

/** The chain ending at `tip`, oldest first, at most `limit` blocks. */
export function chainTo(store: BlockStore, tip: string, limit: number): StoredBlock[] {
  return [...store.ancestry(tip, limit)].reverse();
}

/** Block intervals (ms, by the headers' timestamps) along a chain. */
export function intervals(chain: StoredBlock[]): { height: number; ms: number }[] {
  const out: { height: number; ms: number }[] = [];
  for (let i = 1; i < chain.length; i++) {
    out.push({ height: chain[i]!.height, ms: chain[i]!.timestamp - chain[i - 1]!.timestamp });
  }
  return out;
}

/** A block of the fork tree. */
export interface TreeBlock {
  hash: string;
  height: number;
  parentHash: string;
  /** canonical: on the best chain; fork: under another node's head; stale: no node is on it. */
  status: "canonical" | "fork" | "stale";
  /** Row of the drawing: 0 is the best chain, then one per side branch. */
  lane: number;
  /** Nodes whose head is this block. */
  nodes: string[];
  producer: string;
}

/** The fork tree of the last `depth` heights below the best tip. */
export function forkTree(
  store: BlockStore,
  depth: number,
  producerName: (b: StoredBlock) => string,
): TreeBlock[] {
  const best = bestTip(store);
  if (best === undefined) return [];
  const floor = best.height - depth + 1;
  const canonical = new Set([...store.ancestry(best.hash, depth + 1)].map((b) => b.hash));
  const onTip = new Set<string>();
  const headsAt = new Map<string, string[]>();
  for (const [node, hash] of store.heads) {
    headsAt.set(hash, [...(headsAt.get(hash) ?? []), node]);
    for (const b of store.ancestry(hash, depth + 1)) onTip.add(b.hash);
  }
  const blocks = [...store.all()].filter((b) => b.height >= floor);
  // Lanes: the best chain first, then side branches in the order of their first height.
  const lane = new Map<string, number>();
  let lanes = 1;
  blocks.sort((a, b) => a.height - b.height || a.hash.localeCompare(b.hash));
  const childrenTaken = new Map<string, boolean>();
  for (const b of blocks) {
    if (canonical.has(b.hash)) lane.set(b.hash, 0);
    else {
      const parentLane = lane.get(b.parentHash);
      // A block continues its parent's side lane unless that lane already has a child here.
      if (parentLane !== undefined && parentLane !== 0 && !childrenTaken.get(b.parentHash)) {
        lane.set(b.hash, parentLane);
      } else lane.set(b.hash, lanes++);
    }
    childrenTaken.set(b.parentHash, true);
  }
  return blocks.map((b) => ({
    hash: b.hash,
    height: b.height,
    parentHash: b.parentHash,
    status: canonical.has(b.hash) ? "canonical" : onTip.has(b.hash) ? "fork" : "stale",
    lane: lane.get(b.hash)!,
    nodes: headsAt.get(b.hash) ?? [],
    producer: producerName(b),
  }));
}

/** Propagation of one block: ms from its first sighting on any node to its sighting on each other. */
export interface Propagation {
  hash: string;
  height: number;
  first: string;
  delays: Record<string, number>;
}

/**
 * Propagation of the last `limit` blocks seen by at least two nodes. Sightings come from polls,
 * so a delay is an upper bound with the poll interval as its resolution.
 */
export function propagation(store: BlockStore, limit: number): Propagation[] {
  const out: Propagation[] = [];
  for (const b of store.all()) {
    // A block some node had before we looked has no known first appearance.
    if (b.seen.size < 2 || b.held.size > 0) continue;
    let first = "";
    let t0 = Number.POSITIVE_INFINITY;
    for (const [node, t] of b.seen) if (t < t0) [first, t0] = [node, t];
    const delays: Record<string, number> = {};
    for (const [node, t] of b.seen) if (node !== first) delays[node] = t - t0;
    out.push({ hash: b.hash, height: b.height, first, delays });
  }
  out.sort((a, b) => a.height - b.height);
  return out.slice(-limit);
}

/** One producer's blocks against its hashrate (or stake) share. */
export interface ProducerShare {
  producer: string;
  blocks: number;
  blockShare: number;
  /** The producer's reported rate (PoW hashes/s), when known. */
  rate?: number;
  rateShare?: number;
}

/**
 * Blocks per producer along `chain` (genesis excluded), beside each producer's share of the total
 * reported rate. `rates` maps producer name to its rate.
 */
export function producerShare(
  chain: StoredBlock[],
  producerName: (b: StoredBlock) => string,
  rates: Map<string, number>,
): ProducerShare[] {
  const counts = new Map<string, number>();
  const produced = chain.filter((b) => b.height > 0);
  for (const b of produced) counts.set(producerName(b), (counts.get(producerName(b)) ?? 0) + 1);
  const totalRate = [...rates.values()].reduce((a, b) => a + b, 0);
  const names = new Set([...counts.keys(), ...[...rates].filter(([, r]) => r > 0).map(([n]) => n)]);
  return [...names].sort().map((producer) => {
    const blocks = counts.get(producer) ?? 0;
    const rate = rates.get(producer);
    return {
      producer,
      blocks,
      blockShare: produced.length > 0 ? blocks / produced.length : 0,
      ...(rate !== undefined ? { rate, rateShare: totalRate > 0 ? rate / totalRate : 0 } : {}),
    };
  });
}

/** Connected components of an undirected graph (nodes by name), largest first. */
export function components(nodes: string[], edges: [string, string][]): string[][] {
  const adj = new Map(nodes.map((n) => [n, new Set<string>()]));
  for (const [a, b] of edges) {
    adj.get(a)?.add(b);
    adj.get(b)?.add(a);
  }
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const n of nodes) {
    if (seen.has(n)) continue;
    const group: string[] = [];
    const stack = [n];
    seen.add(n);
    while (stack.length > 0) {
      const x = stack.pop()!;
      group.push(x);
      for (const y of adj.get(x) ?? []) {
        if (seen.has(y)) continue;
        seen.add(y);
        stack.push(y);
      }
    }
    out.push(group.sort());
  }
  return out.sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!));
}
