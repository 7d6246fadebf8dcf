import { generateKeyPair } from "@libp2p/crypto/keys";
import type { GossipSub } from "@libp2p/gossipsub";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/node/logger.ts";
import { accept, GossipRouter, reject } from "../../../src/p2p/gossip.ts";
import { P2PStats } from "../../../src/p2p/stats.ts";

type Validator = (peer: unknown, msg: { data: Uint8Array }) => Promise<string>;

/** Just enough of gossipsub for the router. */
function fakePubsub() {
  const topicValidators = new Map<string, Validator>();
  const published: [string, Uint8Array][] = [];
  const pubsub = {
    topicValidators,
    subscribe: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    publish: async (topic: string, data: Uint8Array) => {
      published.push([topic, data]);
      return { recipients: [] };
    },
  };
  return { pubsub: pubsub as unknown as GossipSub, topicValidators, published };
}

async function setup(
  validate = (data: Uint8Array) => (data[0] === 0 ? reject("BAD") : accept()),
  partitioned = new Set<string>(),
) {
  const stats = new P2PStats();
  const invalid: [string, string][] = [];
  let draw = 0.5;
  const router = new GossipRouter({
    stats,
    log: silentLogger(),
    onInvalid: (peer, reason) => invalid.push([peer, reason]),
    random: () => draw,
    isPartitioned: (peer) => partitioned.has(peer),
  });
  router.register("/t", { name: "t", maxBytes: 4, validate });
  const fake = fakePubsub();
  router.attach(fake.pubsub);
  const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  const run = (data: Uint8Array) => fake.topicValidators.get("/t")!(peer, { data });
  return { router, stats, invalid, run, fake, peer, setDraw: (d: number) => (draw = d) };
}

describe("GossipRouter", () => {
  it("caps sizes, counts verdicts and reports rejects to the peer manager", async () => {
    const { run, stats, invalid, peer } = await setup();
    expect(await run(Uint8Array.of(1))).toBe("accept");
    expect(await run(Uint8Array.of(0))).toBe("reject");
    expect(await run(new Uint8Array(5).fill(1))).toBe("reject");
    expect(stats.rejections).toEqual({ BAD: 1, MESSAGE_TOO_LARGE: 1 });
    expect(stats.accepted).toEqual({ "/t": 1 });
    expect(stats.messagesIn).toEqual({ "/t": 3 });
    expect(invalid).toEqual([
      [peer.toString(), "BAD"],
      [peer.toString(), "MESSAGE_TOO_LARGE"],
    ]);
  });

  it("ignores what a partitioned peer's closing connection still delivers, without validating or blaming", async () => {
    const blocked = new Set<string>();
    let validated = 0;
    const { run, invalid, stats, peer } = await setup(() => {
      validated++;
      return accept();
    }, blocked);
    expect(await run(Uint8Array.of(1))).toBe("accept");
    blocked.add(peer.toString());
    expect(await run(Uint8Array.of(1))).toBe("ignore");
    expect(await run(new Uint8Array(5))).toBe("ignore");
    expect(validated).toBe(1);
    expect(invalid).toEqual([]);
    expect(stats.ignored).toEqual({ from_partitioned_peer: 2 });
    blocked.clear();
    expect(await run(Uint8Array.of(1))).toBe("accept");
  });

  it("ignores (never rejects) when its validator throws", async () => {
    const { run, invalid } = await setup(() => {
      throw new Error("bug");
    });
    expect(await run(Uint8Array.of(1))).toBe("ignore");
    expect(invalid).toEqual([]);
  });

  it("drops and delays incoming gossip for experiments, per topic and per peer", async () => {
    const { router, run, setDraw, stats } = await setup();
    router.setFaults([{ peer: "someone-else", dropProbability: 1 }]);
    setDraw(0.5);
    expect(await run(Uint8Array.of(1))).toBe("accept");
    router.setFaults([{ topic: "t", dropProbability: 0.6 }]);
    expect(await run(Uint8Array.of(1))).toBe("ignore");
    expect(stats.ignored).toEqual({ dropped_by_experiment: 1 });
    router.setFaults([{ delayMs: 30 }]);
    const t0 = Date.now();
    expect(await run(Uint8Array.of(1))).toBe("accept");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    router.setFaults([]);
    expect(router.currentFaults()).toEqual([]);
  });

  it("refuses topics registered after start", async () => {
    const { router } = await setup();
    expect(() => router.register("/u", { name: "u", maxBytes: 1, validate: () => accept() })).toThrow(
      expect.objectContaining({ code: "P2P_ALREADY_STARTED" }),
    );
  });
});
