import { describe, expect, it } from "vitest";
import { ChainlabError } from "../../../src/core/errors.ts";
import type { HostilePeer } from "../../../src/experiments/adversary/raw-peer.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";
import { type TestPeer, waitFor } from "./harness.ts";
import { bannedBy, hostileTestbed, nextEvent, penalizedBy } from "./hostile-kit.ts";

const alice = actor("alice");
/** A blocks_by_range request for 0 blocks: malformed (count must be 1..64). */
const BAD_RANGE_REQUEST = new Uint8Array(10);

/** Sends one malformed request; its penalty points after. The request that bans may see no answer. */
async function sendBad(h1: TestPeer, hostile: HostilePeer, answered = true): Promise<number> {
  const penalized = penalizedBy(h1, hostile.peerId);
  const err = await hostile.request(h1.p2p.peerId, h1.p2p.names.blocksByRange, BAD_RANGE_REQUEST).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (answered) {
    expect(err).toBeInstanceOf(ChainlabError);
    expect((err as ChainlabError).data).toMatchObject({ remoteCode: 1 });
  }
  return (await penalized).points;
}

function handshaken(p: TestPeer, peer: string): Promise<void> {
  return waitFor(
    `${p.name} has status of ${peer}`,
    () => p.p2p.peers().some((x) => x.id === peer && x.head !== undefined),
    (wake) => [p.p2p.on("peer:status", wake), p.p2p.on("peer:connected", wake)],
  );
}

describe("penalties keyed by peer id", { timeout: 30_000 }, () => {
  const bed = hostileTestbed();

  it("a peer that sends invalid data, reconnects and sends more is still penalized, then banned", async () => {
    const h1 = await bed.h.start("h1", easyGenesis([alice]), { banThreshold: 3 });
    const hostile = await bed.hostile(h1.p2p.names, localStatus(h1.node));
    const addr = h1.p2p.multiaddrs()[0]!;
    await hostile.dial(addr);
    await handshaken(h1, hostile.peerId);

    expect(await sendBad(h1, hostile)).toBeCloseTo(1, 2);
    expect(await sendBad(h1, hostile)).toBeCloseTo(2, 2);

    // Hang up and come back with the same peer id: the score is not reset.
    const gone = nextEvent(h1, "peer:disconnected", (e) => e.peer === hostile.peerId);
    await hostile.hangUp(h1.p2p.peerId);
    await gone;
    expect(h1.p2p.peers().some((p) => p.id === hostile.peerId)).toBe(false);
    await hostile.reconnect(addr);
    await handshaken(h1, hostile.peerId);
    const again = h1.p2p.peers().find((p) => p.id === hostile.peerId)!;
    expect(again.invalid).toBeCloseTo(2, 1);

    const banned = bannedBy(h1, hostile.peerId);
    expect(await sendBad(h1, hostile, false)).toBeCloseTo(3, 1);
    expect(await banned).toBe("TOO_MANY_INVALID_MESSAGES");
    expect(Object.values(h1.p2p.stats().rejections)).toEqual([3]);

    // The ban holds across a redial.
    await hostile.dial(addr).catch(() => {});
    await hostile.disconnectedFrom(h1.p2p.peerId, 5_000);
    expect(h1.p2p.peers().some((p) => p.id === hostile.peerId)).toBe(false);
  });
});
