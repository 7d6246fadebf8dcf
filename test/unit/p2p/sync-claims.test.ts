import { describe, expect, it } from "vitest";
import type { BlockMeta } from "../../../src/consensus/engine.ts";
import { PowEngine } from "../../../src/consensus/pow/engine.ts";
import { encodeWork } from "../../../src/consensus/pow/work.ts";
import type { StatusMessage } from "../../../src/p2p/messages.ts";
import type { P2PNode } from "../../../src/p2p/node-port.ts";
import { claimMet, peerIsAhead } from "../../../src/p2p/sync-claims.ts";
import { easyGenesis } from "../../helpers/fixtures.ts";

const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const status = (work: bigint, head = 1): StatusMessage => ({
  genesisHash: hash(0),
  headHash: hash(head),
  headHeight: 10,
  finalized: { height: 0, hash: hash(0) },
  weight: encodeWork(work),
});
const meta = (work: bigint, h = 1): BlockMeta =>
  ({ hash: hash(h), header: { height: 10 }, engineMeta: encodeWork(work) }) as unknown as BlockMeta;

/** The judgements go to the PoW engine, whose weight is cumulative work. */
const node = {
  engine: new PowEngine(easyGenesis([])),
  chain: { weightOf: (m: BlockMeta) => m.engineMeta },
} as unknown as P2PNode;

describe("sync claims", () => {
  it.each([
    ["heavier", 10n, 11n, true],
    ["equal", 10n, 10n, false],
    ["lighter", 10n, 9n, false],
  ])("a %s peer is ahead: %s", (_name, ours, theirs, ahead) => {
    expect(peerIsAhead(node, status(ours), status(theirs))).toBe(ahead);
  });

  it.each([
    ["delivered the claimed weight", 100n, meta(100n), true],
    ["delivered more (it grew meanwhile)", 100n, meta(120n, 2), true],
    ["delivered less", 100n, meta(99n, 2), false],
    ["delivered the claimed head, but it weighs less than claimed", 100n, meta(50n, 1), false],
  ])("a peer that %s met its claim: %s", (_name, claimed, delivered, met) => {
    expect(claimMet(node, status(claimed, 1), delivered)).toBe(met);
  });
});
