import { describe, expect, it } from "vitest";
import { decodeWork, encodeWork } from "../../../src/consensus/pow/work.ts";
import { type Block, decodeBlock } from "../../../src/core/block.ts";
import { sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import {
  delayed,
  fabricatedRange,
  type Script,
  serveRange,
} from "../../../src/experiments/adversary/raw-peer.ts";
import type { StatusMessage } from "../../../src/p2p/messages.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";
import { mineBlocks, type TestPeer, waitForHeads } from "./harness.ts";
import { bannedBy, hostileTestbed } from "./hostile-kit.ts";

const alice = actor("alice");
const HEIGHT = 30;
const TIMEOUT_MS = 1_000;
/** What honest sync may take with a liar in the way: its offences are bounded by the timeout. */
const HONEST_SYNC_BOUND_MS = 15_000;

/** `p`'s canonical chain as blocks, index = height. */
async function chainOf(p: TestPeer): Promise<Block[]> {
  const out: Block[] = [];
  for (let h = 0; h <= p.node.chain.head().header.height; h++) {
    const bytes = await p.node.chain.getBlockBytes(p.node.chain.view.getCanonical(h)!.hash);
    out.push(decodeBlock(bytes!));
  }
  return out;
}

interface Liar {
  name: string;
  offence: string;
  /** The status it claims, given the honest one. */
  claim(honest: StatusMessage): StatusMessage;
  /** Its blocks_by_range answers, given the honest chain. */
  range(chain: Block[]): Script;
}

/** Ten times a PoW status weight (cumulative work, the engine's opaque bytes). */
const tenfold = (w: Uint8Array): Uint8Array => encodeWork(decodeWork(w) * 10n);

const inflated = (s: StatusMessage): StatusMessage => ({
  ...s,
  headHash: sha256(utf8("a head nobody has")),
  headHeight: s.headHeight + 1000,
  weight: tenfold(s.weight),
});

const LIARS: Liar[] = [
  {
    name: "claims a heavier chain and serves empty ranges",
    offence: "SYNC_EMPTY_RANGE",
    claim: inflated,
    range: () => () => [],
  },
  {
    name: "serves the honest chain but claims more work than it delivers",
    offence: "SYNC_CLAIM_NOT_MET",
    claim: (s) => ({ ...s, headHash: sha256(utf8("heavier head")), weight: tenfold(s.weight) }),
    range: (chain) => serveRange(chain),
  },
  {
    name: "serves orphan-first ranges (blocks that connect to nothing we have)",
    offence: "SYNC_ORPHAN_RANGE",
    claim: inflated,
    range: (chain) => fabricatedRange(chain[1]!),
  },
  {
    name: "answers correctly but just before the timeout",
    offence: "SYNC_SLOW_RESPONSE",
    claim: (s) => ({ ...s, weight: tenfold(s.weight) }),
    range: (chain) => delayed(TIMEOUT_MS * 0.7, serveRange(chain)),
  },
];

describe("sync against lying peers", { timeout: 40_000 }, () => {
  const bed = hostileTestbed();

  it.each(LIARS)("a peer that $name is penalized, then banned, and honest sync completes", async (liar) => {
    const g = easyGenesis([alice]);
    const honest = await bed.h.start("honest", g);
    await mineBlocks(honest.node, HEIGHT);
    const chain = await chainOf(honest);
    const hostile = await bed.hostile(honest.p2p.names, liar.claim(localStatus(honest.node)));
    await hostile.respond(honest.p2p.names.blocksByRange, liar.range(chain));

    const late = await bed.h.start("late", g, {
      banThreshold: 3,
      requestTimeoutMs: TIMEOUT_MS,
      syncCooldownMs: 100,
    });
    const banned = bannedBy(late, hostile.peerId, HONEST_SYNC_BOUND_MS);
    const t0 = Date.now();
    // The liar first, so that it gets the first round.
    await late.p2p.connect(hostile.libp2p.getMultiaddrs()[0]!.toString());
    await late.p2p.connect(honest.p2p.multiaddrs()[0]!);
    await waitForHeads([late], toHex(honest.node.chain.head().hash), HONEST_SYNC_BOUND_MS);
    const synced = Date.now() - t0;
    expect(await banned).toBe("TOO_MANY_INVALID_MESSAGES");

    const s = late.p2p.stats();
    expect(s.syncOffences[liar.offence]).toBeGreaterThanOrEqual(1);
    expect(synced).toBeLessThan(HONEST_SYNC_BOUND_MS);
    // The honest peer was never blamed.
    expect(late.p2p.peers().find((p) => p.id === honest.p2p.peerId)?.invalid).toBe(0);
    expect(late.node.chain.head().header.height).toBe(HEIGHT);
  });

  it("an honest peer whose responses are cut short by its byte cap is never blamed, and sync completes", async () => {
    const g = easyGenesis([alice]);
    const server = await bed.h.start("server", g, { maxResponseBytes: 2048 });
    await mineBlocks(server.node, 150);
    const late = await bed.h.start("late", g, { requestTimeoutMs: TIMEOUT_MS, syncCooldownMs: 100 });
    await late.p2p.connect(server.p2p.multiaddrs()[0]!);
    await waitForHeads([late], toHex(server.node.chain.head().hash), HONEST_SYNC_BOUND_MS);
    const s = late.p2p.stats();
    expect(s.syncOffences).toEqual({});
    expect(s.rejections).toEqual({});
    // Each response carried fewer blocks than asked for.
    expect(s.requestsOut.blocks_by_range).toBeGreaterThan(10);
  });
});
