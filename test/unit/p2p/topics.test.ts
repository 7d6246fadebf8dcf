import { describe, expect, it } from "vitest";
import { chainNames, networkId, peerNetworkIds } from "../../../src/p2p/topics.ts";

describe("topic and protocol names", () => {
  const genesis = Uint8Array.from({ length: 32 }, (_, i) => i + 0xa0);

  it("are scoped by the first 8 hex digits of the genesis hash", () => {
    expect(networkId(genesis)).toBe("a0a1a2a3");
    expect(chainNames(genesis)).toEqual({
      blocksTopic: "/chainlab/a0a1a2a3/blocks/1",
      txsTopic: "/chainlab/a0a1a2a3/txs/1",
      status: "/chainlab/a0a1a2a3/status/1",
      blocksByRange: "/chainlab/a0a1a2a3/blocks_by_range/1",
      blocksByHash: "/chainlab/a0a1a2a3/blocks_by_hash/1",
    });
  });

  it("finds the chains a peer runs from its identify protocols", () => {
    expect(
      peerNetworkIds(["/ipfs/id/1.0.0", "/chainlab/0011aabb/status/1", "/chainlab/xyz/status/1"]),
    ).toEqual(["0011aabb"]);
    expect(peerNetworkIds(["/meshsub/1.1.0"])).toEqual([]);
  });
});
