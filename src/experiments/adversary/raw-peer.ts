/**
 * A raw libp2p peer whose every message the caller scripts (experiments and adversarial tests):
 * - req/resp answers: `respond(protocol, script)` scripts the answers to one protocol (status is
 *   answered with `setStatus`'s value, or by mirroring the requester's own status when none was
 *   claimed, and the block protocols with nothing, until replaced);
 *   scripts build on
 *   `serveRange` (blocks by height from a list), `fabricatedRange` (well-formed blocks that connect
 *   to nothing we have) and `delayed` (answer just before a timeout);
 * - raw req/resp requests: `request(peer, protocol, payload)` returns the OK payloads, or throws the
 *   P2PError the chainlab client would (the peer's error code in `data.remoteCode`);
 * - connection control: `dial`, `hangUp`, `reconnect` (same peer id, so penalties must persist);
 * - raw gossip: `publish(topic, bytes)` once `subscribed` resolves;
 * - `fetchBlockBytes`: one block of a node as raw bytes, to forge from.
 * `requests` counts what it was asked, by protocol, and `onRequest` wakes waiters.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { type Block, encodeBlock, headerHash } from "../../core/block.ts";
import { type Hash, sha256 } from "../../core/hash.ts";
import {
  decodeRangeRequest,
  encodeRangeRequest,
  encodeStatus,
  type StatusMessage,
} from "../../p2p/messages.ts";
import { sendRequest, serveStream } from "../../p2p/reqresp.ts";
import type { ChainNames } from "../../p2p/topics.ts";
import { ExperimentError } from "../errors.ts";

/** Answers one request with payloads (each a status or a block encoding). */
export type Script = (
  request: Uint8Array,
  from: string,
) => Iterable<Uint8Array> | AsyncIterable<Uint8Array> | Promise<Iterable<Uint8Array>>;

/** The hostile peer's handle. */
export interface HostilePeer {
  libp2p: Libp2p<{ pubsub: GossipSub }>;
  peerId: string;
  /** Requests received, by protocol name. */
  readonly requests: Map<string, number>;
  /** Calls `listener` after every request received; returns the unsubscribe function. */
  onRequest(listener: (protocol: string) => void): () => void;
  /** The status it answers (and sends) from now on. */
  setStatus(status: StatusMessage): void;
  /** Answers `protocol` with `script` from now on (resolves once the handler is registered). */
  respond(protocol: string, script: Script): Promise<void>;
  /** Sends a raw request; the OK payloads, or a thrown P2PError. */
  request(peer: string, protocol: string, payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array[]>;
  dial(addr: string): Promise<void>;
  /** Closes every connection to `peer` and waits until they are gone. */
  hangUp(peer: string): Promise<void>;
  /** Resolves once no connection to `peer` is left (after a hang-up, or a ban on its side). */
  disconnectedFrom(peer: string, timeoutMs?: number): Promise<void>;
  /** Hangs up on the peer at `addr` (which ends in /p2p/<id>) and dials it again. */
  reconnect(addr: string): Promise<void>;
  /** Resolves once `peerId` is subscribed to `topic` as seen from here. */
  subscribed(peerId: string, topic: string): Promise<void>;
  publish(topic: string, data: Uint8Array): Promise<number>;
  stop(): Promise<void>;
}

/** Options of a hostile peer. */
export interface HostileOptions {
  /** How long its own responses may take before its side gives up (default 30 s). */
  serveTimeoutMs?: number;
}

/** Serves blocks_by_range from `chain` (index = height; holes end the response). */
export function serveRange(chain: readonly (Block | undefined)[]): Script {
  return (request) => {
    const { startHeight, count } = decodeRangeRequest(request);
    const out: Uint8Array[] = [];
    for (let h = startHeight; h < startHeight + count; h++) {
      const b = chain[h];
      if (b === undefined) break;
      out.push(encodeBlock(b));
    }
    return out;
  };
}

/**
 * Well-formed, linked blocks at the requested heights whose first parent is `parent` (default: a
 * hash nobody has): they pass the requester's range checks and connect to nothing we hold.
 */
export function fabricatedRange(template: Block, parent: Hash = sha256(new Uint8Array([0xba, 0xd]))): Script {
  return (request) => {
    const { startHeight, count } = decodeRangeRequest(request);
    const out: Uint8Array[] = [];
    let prev = parent;
    for (let h = startHeight; h < startHeight + count; h++) {
      const header = { ...template.header, height: h, parentHash: prev };
      out.push(encodeBlock({ ...template, header }));
      prev = headerHash(header);
    }
    return out;
  };
}

/** `script`, answered after `ms` (a peer that answers just before the requester's timeout). */
export function delayed(ms: number, script: Script): Script {
  return async (request, from) => {
    await sleep(ms);
    const out: Uint8Array[] = [];
    for await (const p of await script(request, from)) out.push(p);
    return out;
  };
}

/** A script that answers with no payload at all. */
export const emptyResponse: Script = () => [];

/**
 * Starts a hostile peer on the chain named by `names` that claims `status`, or without one mirrors
 * each requester's status (it claims to be exactly where the victim is: nothing to sync either way).
 */
export async function startHostile(
  names: ChainNames,
  status?: StatusMessage,
  opts: HostileOptions = {},
): Promise<HostilePeer> {
  const libp2p = await createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: "StrictNoSign",
        msgIdFn: (m) => sha256(m.data).subarray(0, 20),
        allowPublishToZeroTopicPeers: true,
        fallbackToFloodsub: false,
        floodPublish: true,
      }),
    },
  });
  let claimed = status;
  const scripts = new Map<string, Script>([
    [names.status, (request) => [claimed === undefined ? request : encodeStatus(claimed)]],
  ]);
  const requests = new Map<string, number>();
  const listeners = new Set<(protocol: string) => void>();
  const serveTimeoutMs = opts.serveTimeoutMs ?? 30_000;
  const install = async (protocol: string): Promise<void> => {
    await libp2p.handle(
      protocol,
      (stream, conn) =>
        serveStream(
          stream,
          conn,
          { timeoutMs: serveTimeoutMs, maxRequestBytes: 4096 },
          async function* (peer, request) {
            requests.set(protocol, (requests.get(protocol) ?? 0) + 1);
            for (const l of listeners) l(protocol);
            const script = scripts.get(protocol) ?? emptyResponse;
            yield* await script(request, peer.toString());
          },
          () => {},
        ),
      { maxInboundStreams: 64, maxOutboundStreams: 64 },
    );
  };
  for (const p of [names.status, names.blocksByRange, names.blocksByHash]) await install(p);
  for (const t of [names.blocksTopic, names.txsTopic]) libp2p.services.pubsub.subscribe(t);
  const pubsub = libp2p.services.pubsub;
  const connectedTo = (peer: string): boolean =>
    libp2p.getConnections().some((c) => c.remotePeer.toString() === peer);
  const disconnectedFrom = (peer: string, timeoutMs = 10_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        libp2p.removeEventListener("connection:close", onClose);
        reject(new ExperimentError("EXPERIMENT_FAILED", `still connected to ${peer} after ${timeoutMs} ms`));
      }, timeoutMs);
      const onClose = (): void => {
        if (connectedTo(peer)) return;
        clearTimeout(timer);
        libp2p.removeEventListener("connection:close", onClose);
        resolve();
      };
      libp2p.addEventListener("connection:close", onClose);
      onClose();
    });
  const hangUp = async (peer: string): Promise<void> => {
    const id: PeerId = peerIdFromString(peer);
    await libp2p.hangUp(id);
    await disconnectedFrom(peer);
  };
  const dial = async (addr: string): Promise<void> => {
    await libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) });
  };
  return {
    libp2p,
    peerId: libp2p.peerId.toString(),
    requests,
    onRequest: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setStatus: (s) => {
      claimed = s;
    },
    respond: async (protocol, script) => {
      const fresh = !libp2p.getProtocols().includes(protocol);
      scripts.set(protocol, script);
      if (fresh) await install(protocol);
    },
    request: (peer, protocol, payload, timeoutMs = 5000) =>
      sendRequest(libp2p, peerIdFromString(peer), protocol, payload, {
        timeoutMs,
        maxChunks: 1024,
        maxChunkBytes: 8 * 1024 * 1024,
        maxTotalBytes: 1024 * 1024 * 1024,
      }),
    dial,
    hangUp,
    disconnectedFrom,
    reconnect: async (addr) => {
      const id = multiaddr(addr)
        .getComponents()
        .find((c) => c.name === "p2p")?.value;
      if (id === undefined) throw new ExperimentError("EXPERIMENT_BAD_PARAM", `${addr} names no peer id`);
      await hangUp(id);
      await dial(addr);
    },
    subscribed: (peerId, topic) =>
      new Promise<void>((resolve, reject) => {
        const check = (): boolean => pubsub.getSubscribers(topic).some((p) => p.toString() === peerId);
        if (check()) {
          resolve();
          return;
        }
        const timer = setTimeout(
          () => reject(new ExperimentError("EXPERIMENT_FAILED", `no subscription of ${peerId} to ${topic}`)),
          10_000,
        );
        const onChange = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          pubsub.removeEventListener("subscription-change", onChange);
          resolve();
        };
        pubsub.addEventListener("subscription-change", onChange);
      }),
    publish: async (topic, data) => (await pubsub.publish(topic, data)).recipients.length,
    stop: async () => {
      await libp2p.stop();
    },
  };
}

/**
 * The canonical block at `height` of the node at `addr` (peer `peerId`) as raw bytes, fetched over
 * blocks_by_range by a short-lived raw peer: material to forge invalid blocks from.
 */
export async function fetchBlockBytes(
  names: ChainNames,
  addr: string,
  peerId: string,
  height: number,
): Promise<Uint8Array> {
  const peer = await startHostile(names);
  try {
    await peer.dial(addr);
    const [block] = await peer.request(
      peerId,
      names.blocksByRange,
      encodeRangeRequest({ startHeight: height, count: 1 }),
    );
    if (block === undefined) {
      throw new ExperimentError("EXPERIMENT_FAILED", `the node served no block at height ${height}`);
    }
    return block;
  } finally {
    await peer.stop();
  }
}
