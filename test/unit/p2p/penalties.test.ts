import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { P2PEvents } from "../../../src/p2p/events.ts";
import { PeerGate } from "../../../src/p2p/gater.ts";
import { PeerManager } from "../../../src/p2p/peers.ts";
import { PenaltyBook } from "../../../src/p2p/penalties.ts";
import { P2PStats } from "../../../src/p2p/stats.ts";

const HALF_LIFE = 60_000;

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

function manager(now: () => number, banThreshold = 5) {
  const gate = new PeerGate(now);
  const banned: string[] = [];
  const events = new P2PEvents((err) => {
    throw err;
  });
  events.on("peer:banned", (e) => banned.push(e.peer));
  const pm = new PeerManager({
    gate,
    stats: new P2PStats(),
    events,
    log: pino({ level: "silent" }),
    genesisHash: new Uint8Array(32),
    banThreshold,
    banDurationMs: 10_000,
    penalties: { halfLifeMs: HALF_LIFE, maxPeers: 16 },
    now,
  });
  return { pm, gate, banned };
}

describe("PenaltyBook", () => {
  it("halves points every half-life", () => {
    const c = clock();
    const book = new PenaltyBook({ halfLifeMs: HALF_LIFE, maxPeers: 8 }, c.now);
    expect(book.add("a", 4, "X")).toBe(4);
    c.advance(HALF_LIFE);
    expect(book.points("a")).toBeCloseTo(2, 9);
    c.advance(2 * HALF_LIFE);
    expect(book.points("a")).toBeCloseTo(0.5, 9);
    expect(book.add("a", 1, "Y")).toBeCloseTo(1.5, 9);
    expect(book.info("a")).toMatchObject({ offences: 2, lastReason: "Y" });
  });

  it("does not decay while held (banned), then decays again", () => {
    const c = clock();
    const book = new PenaltyBook({ halfLifeMs: HALF_LIFE, maxPeers: 8 }, c.now);
    book.add("a", 4, "X");
    book.hold("a", c.now() + 5 * HALF_LIFE);
    c.advance(5 * HALF_LIFE);
    expect(book.points("a")).toBeCloseTo(4, 9);
    c.advance(HALF_LIFE);
    expect(book.points("a")).toBeCloseTo(2, 9);
  });

  it("stays within its cap, forgetting the least penalized (oldest on a tie) first", () => {
    const c = clock();
    const book = new PenaltyBook({ halfLifeMs: HALF_LIFE, maxPeers: 3 }, c.now);
    book.add("heavy", 10, "X");
    c.advance(1);
    book.add("old-light", 1, "X");
    c.advance(1);
    book.add("new-light", 1, "X");
    c.advance(1);
    book.add("next", 2, "X");
    expect(book.size).toBe(3);
    expect(book.points("old-light")).toBe(0);
    expect(book.points("heavy")).toBeGreaterThan(9.9);
    expect(book.points("new-light")).toBeGreaterThan(0.9);
    // A flood of fresh identities never pushes out the heavily penalized peer.
    for (let i = 0; i < 1000; i++) book.add(`sybil-${i}`, 1, "X");
    expect(book.size).toBe(3);
    expect(book.points("heavy")).toBeGreaterThan(9.9);
  });

  it("drops negligible entries before evicting anyone who still counts", () => {
    const c = clock();
    const book = new PenaltyBook({ halfLifeMs: HALF_LIFE, maxPeers: 2 }, c.now);
    book.add("forgiven", 1, "X");
    c.advance(20 * HALF_LIFE);
    book.add("b", 0.5, "X");
    book.add("c", 0.5, "X");
    expect(book.points("b")).toBe(0.5);
    expect(book.points("c")).toBe(0.5);
  });
});

describe("PeerManager penalties", () => {
  it("survive a disconnect and reconnect, and the reconnected peer is banned at the threshold", async () => {
    const c = clock();
    const { pm, gate, banned } = manager(c.now, 3);
    const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const id = peerId.toString();
    pm.added(peerId);
    pm.recordInvalid(id, "BAD");
    pm.recordInvalid(id, "BAD");
    expect(pm.appScore(id)).toBe(-400);
    pm.removed(id);
    expect(pm.get(id)).toBeUndefined();
    pm.added(peerId);
    expect(pm.penaltyOf(id)).toBe(2);
    expect(pm.appScore(id)).toBe(-400);
    pm.recordInvalid(id, "BAD");
    expect(banned).toEqual([id]);
    expect(gate.banOf(id)?.reason).toBe("TOO_MANY_INVALID_MESSAGES");
    expect(pm.appScore(id)).toBe(-10_000);
  });

  it("decays with the half-life, counts offences of peers not connected, and weights them", () => {
    const c = clock();
    const { pm, banned } = manager(c.now, 5);
    pm.recordInvalid("gone", "SYNC_CLAIM_NOT_MET", 2);
    expect(pm.penaltyOf("gone")).toBe(2);
    c.advance(HALF_LIFE);
    expect(pm.penaltyOf("gone")).toBeCloseTo(1, 9);
    pm.recordInvalid("gone", "X", 3.5);
    expect(banned).toEqual([]);
    pm.recordInvalid("gone", "X", 0.5);
    expect(banned).toEqual(["gone"]);
  });

  it("a ban freezes the points, so the peer returns from it still penalized", () => {
    const c = clock();
    const { pm, gate } = manager(c.now, 2);
    pm.recordInvalid("p", "X");
    pm.recordInvalid("p", "X");
    expect(gate.banOf("p")).toBeDefined();
    c.advance(10_000);
    expect(gate.banOf("p")).toBeUndefined();
    expect(pm.penaltyOf("p")).toBeCloseTo(2, 9);
    pm.unban("p");
    expect(pm.penaltyOf("p")).toBe(0);
  });
});
