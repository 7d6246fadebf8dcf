/**
 * One sync round's download: the fork point we share with a peer (probed), then its canonical
 * blocks above it, fetched in pipelined blocks_by_range batches up to its claimed height and
 * imported in order. It reports how the peer behaved (served, ended early, orphan range, slow) and
 * leaves the verdict to sync.ts.
 */
import type { BlockMeta } from "../consensus/engine.ts";
import { ChainlabError } from "../core/errors.ts";
import { bytesEqual, toHex } from "../core/hash.ts";
import type { ChainTopics } from "./chain-topics.ts";
import type { FetchedBlock, PeerClient } from "./client.ts";
import type { StatusMessage } from "./messages.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerRecord } from "./peers.ts";

/** What the download needs. */
export interface RangeContext {
  node: P2PNode;
  client: PeerClient;
  topics: ChainTopics;
  batchSize: number;
  pipeline: number;
  slowResponseMs: number;
  stopped(): boolean;
  /** A block of the range was imported as new (head or side). */
  onImported(): void;
  /** A batch was imported. */
  onBatch(): void;
}

/** How a download ended; `tip` is the last block of the peer's that we hold. */
export type RangeOutcome =
  /** It served up to its claimed height, or ended with an empty range. */
  | { kind: "served" | "empty"; tip: BlockMeta }
  /** A range whose first block does not extend `tip`. */
  | { kind: "orphan"; tip: BlockMeta; height: number }
  /** A range answered after `ms` (valid blocks of it are imported), or not at all. */
  | { kind: "slow"; tip: BlockMeta; height: number; ms: number; timedOut: boolean }
  /** Stopped, or our block tree changed under us: try again later. */
  | { kind: "stopped" | "retry"; tip: BlockMeta };

/** One blocks_by_range request in flight. */
interface Flight {
  at: number;
  sentAt: number;
  doneAt: number;
  req: Promise<FetchedBlock[]>;
}

function isTimeout(err: unknown): boolean {
  return err instanceof ChainlabError && err.code === "P2P_TIMEOUT";
}

/**
 * The highest of the peer's canonical blocks, probed at or below `from` at exponentially growing
 * distances, that we hold (genesis at worst). A probe answered too slowly ends the search: probes
 * must not be a free way to stall us.
 */
export async function findForkPoint(
  c: RangeContext,
  peer: PeerRecord,
  from: number,
): Promise<{ kind: "found"; tip: BlockMeta } | Extract<RangeOutcome, { kind: "slow" }>> {
  const view = c.node.chain.view;
  let h = from;
  let step = 1;
  while (h > 0) {
    const sentAt = Date.now();
    let f: FetchedBlock | undefined;
    try {
      [f] = await c.client.blocksByRange(peer.peerId, h, 1);
    } catch (err) {
      if (!isTimeout(err)) throw err;
      return { kind: "slow", tip: view.genesis(), height: h, ms: Date.now() - sentAt, timedOut: true };
    }
    const ms = Date.now() - sentAt;
    if (ms > c.slowResponseMs) return { kind: "slow", tip: view.genesis(), height: h, ms, timedOut: false };
    const meta = f === undefined ? undefined : view.getMeta(f.hash);
    if (meta !== undefined) return { kind: "found", tip: meta };
    h = Math.max(0, h - step);
    step *= 2;
  }
  return { kind: "found", tip: view.genesis() };
}

/** Downloads and imports `peer`'s blocks above `fork` up to `claim.headHeight`. */
export async function downloadRange(
  c: RangeContext,
  peer: PeerRecord,
  claim: StatusMessage,
  fork: BlockMeta,
): Promise<RangeOutcome> {
  let tip = fork;
  let next = tip.header.height + 1;
  let inflight: Flight[] = [];
  const launch = (): void => {
    while (inflight.length < c.pipeline && next <= claim.headHeight && !c.stopped()) {
      const f: Flight = {
        at: next,
        sentAt: Date.now(),
        doneAt: Number.POSITIVE_INFINITY,
        req: c.client.blocksByRange(peer.peerId, next, c.batchSize),
      };
      const done = (): void => {
        f.doneAt = Date.now();
      };
      f.req.then(done, done);
      inflight.push(f);
      next += c.batchSize;
    }
  };
  launch();
  while (inflight.length > 0) {
    if (c.stopped()) return { kind: "stopped", tip };
    const f = inflight.shift()!;
    let batch: FetchedBlock[];
    try {
      batch = await f.req;
    } catch (err) {
      if (!isTimeout(err)) throw err;
      return { kind: "slow", tip, height: f.at, ms: Date.now() - f.sentAt, timedOut: true };
    }
    if (batch.length === 0) return { kind: "empty", tip };
    const first = batch[0]!.block.header;
    if (first.height !== tip.header.height + 1 || !bytesEqual(first.parentHash, tip.hash)) {
      return { kind: "orphan", tip, height: first.height };
    }
    for (const fb of batch) {
      const r = await c.topics.importFromNetwork(fb.block, { kind: "sync", peer: peer.id }, toHex(fb.hash));
      // A connected range cannot be orphan unless our tree changed under us: start over.
      if (r.status === "orphan") return { kind: "retry", tip };
      if (r.status === "head" || r.status === "side") c.onImported();
      tip = c.node.chain.view.getMeta(fb.hash) ?? tip;
    }
    c.onBatch();
    const ms = f.doneAt - f.sentAt;
    if (ms > c.slowResponseMs) return { kind: "slow", tip, height: f.at, ms, timedOut: false };
    if (tip.header.height >= claim.headHeight) break;
    if (inflight.length > 0 && inflight[0]!.at !== tip.header.height + 1) {
      // A short (byte-capped) response: the requests after it start too high; plan again.
      inflight = [];
      next = tip.header.height + 1;
    }
    if (inflight.length === 0 && next > claim.headHeight) next = tip.header.height + 1;
    launch();
  }
  return c.stopped() ? { kind: "stopped", tip } : { kind: "served", tip };
}
