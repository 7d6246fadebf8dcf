import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { describe, expect, it } from "vitest";
import { MAX_BANS, PeerGate } from "../../../src/p2p/gater.ts";

describe("PeerGate", () => {
  it("bans for a while, never shortens a ban, and forgets expired ones", () => {
    let now = 1000;
    const gate = new PeerGate(() => now);
    gate.ban("a", "X", 100);
    gate.ban("a", "Y", 10);
    expect(gate.banOf("a")).toEqual({ reason: "X", until: 1100 });
    expect(gate.isBlocked("a")).toBe(true);
    now = 1100;
    expect(gate.isBlocked("a")).toBe(false);
    expect(gate.activeBans().size).toBe(0);
  });

  it("keeps at most MAX_BANS bans, dropping expired ones, then the one ending soonest", () => {
    let now = 0;
    const gate = new PeerGate(() => now);
    gate.ban("short", "X", 10);
    gate.ban("long", "X", 1_000_000);
    for (let i = 2; i < MAX_BANS; i++) gate.ban(`p${i}`, "X", 1000 + i);
    gate.ban("one-more", "X", 5000);
    expect(gate.activeBans().size).toBe(MAX_BANS);
    expect(gate.banOf("short")).toBeUndefined();
    expect(gate.banOf("long")).toBeDefined();
    now = 20;
    gate.ban("another", "X", 5000);
    expect(gate.activeBans().size).toBe(MAX_BANS);
    expect(gate.banOf("p2")).toBeUndefined();
    expect(gate.banOf("long")).toBeDefined();
  });

  it("partitions until healed", () => {
    const gate = new PeerGate();
    gate.partition(["a", "b"]);
    expect(gate.isBlocked("a") && gate.isBlocked("b")).toBe(true);
    expect(gate.heal().sort()).toEqual(["a", "b"]);
    expect(gate.isBlocked("a")).toBe(false);
  });

  it("denies blocked peers at every libp2p hook, by peer id and by /p2p/ multiaddr", async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const other = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
    const gate = new PeerGate();
    const g = gate.gater();
    gate.ban(peer.toString(), "TEST", 60_000);
    const conn = {} as Parameters<NonNullable<typeof g.denyInboundEncryptedConnection>>[1];
    expect(await g.denyDialPeer!(peer)).toBe(true);
    expect(await g.denyInboundEncryptedConnection!(peer, conn)).toBe(true);
    expect(await g.denyOutboundEncryptedConnection!(peer, conn)).toBe(true);
    expect(await g.denyDialPeer!(other)).toBe(false);
    expect(await g.denyDialMultiaddr!(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${peer}`))).toBe(true);
    expect(await g.denyDialMultiaddr!(multiaddr("/ip4/127.0.0.1/tcp/1"))).toBe(false);
  });
});
