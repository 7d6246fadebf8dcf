/**
 * A raw libp2p peer for adversarial tests: it answers the status handshake like a chainlab node
 * (so it is not refused up front) and then publishes whatever bytes the test gives it on the topics.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { sha256 } from "../../../src/core/hash.ts";
import { encodeStatus, type StatusMessage } from "../../../src/p2p/messages.ts";
import { serveStream } from "../../../src/p2p/reqresp.ts";
import type { ChainNames } from "../../../src/p2p/topics.ts";

/** The hostile peer's handle. */
export interface HostilePeer {
  libp2p: Libp2p<{ pubsub: GossipSub }>;
  peerId: string;
  dial(addr: string): Promise<void>;
  /** Resolves once `peerId` is subscribed to `topic` as seen from here. */
  subscribed(peerId: string, topic: string): Promise<void>;
  publish(topic: string, data: Uint8Array): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a hostile peer that claims `status` on the chain named by `names`. */
export async function startHostile(names: ChainNames, status: StatusMessage): Promise<HostilePeer> {
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
  await libp2p.handle(names.status, (stream, conn) =>
    serveStream(
      stream,
      conn,
      { timeoutMs: 5000, maxRequestBytes: 1024 },
      () => [encodeStatus(status)],
      () => {},
    ),
  );
  for (const t of [names.blocksTopic, names.txsTopic]) libp2p.services.pubsub.subscribe(t);
  const pubsub = libp2p.services.pubsub;
  return {
    libp2p,
    peerId: libp2p.peerId.toString(),
    dial: async (addr) => {
      await libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) });
    },
    subscribed: (peerId, topic) =>
      new Promise<void>((resolve, reject) => {
        const check = (): boolean => pubsub.getSubscribers(topic).some((p) => p.toString() === peerId);
        if (check()) {
          resolve();
          return;
        }
        const timer = setTimeout(() => reject(new Error(`no subscription of ${peerId} to ${topic}`)), 10_000);
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
