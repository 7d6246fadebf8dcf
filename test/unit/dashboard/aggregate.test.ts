/**
 * The dashboard's aggregation over a block tree: best tip, fork tree with tips and stale blocks,
 * reorg depth, propagation from sightings, producer share against hashrate share, components.
 */
import { describe, expect, it } from "vitest";
import {
  bestTip,
  components,
  forkTree,
  producerShare,
  propagation,
} from "../../../src/dashboard/aggregate.ts";
import { type BlockInfo, BlockStore } from "../../../src/dashboard/index.ts";

/** A block named `name` on `parent` (heights follow the parent), mined by `by`. */
function chain(spec: [name: string, parent: string | null, by: string][]): BlockInfo[] {
  const height = new Map<string, number>();
  return spec.map(([name, parent, by]) => {
    const h = parent === null ? 0 : height.get(parent)! + 1;
    height.set(name, h);
    return {
      hash: name,
      height: h,
      parentHash: parent ?? "none",
      timestamp: 1000 * h,
      beneficiary: by,
      txCount: h,
      weight: BigInt(h * 10),
    };
  });
}

//   g - a1 - a2 - a3      (alice's branch, the heaviest)
//         \- b2           (bob's block, orphaned)
const BLOCKS = chain([
  ["g", null, "nobody"],
  ["a1", "g", "alice"],
  ["a2", "a1", "alice"],
  ["b2", "a1", "bob"],
  ["a3", "a2", "bob"],
]);

function store(): BlockStore {
  const s = new BlockStore();
  for (const b of BLOCKS) s.add(b);
  return s;
}

describe("dashboard aggregation", () => {
  it("a node that moves from b2 to a3 reorgs with depth 1, and b2 becomes stale", () => {
    const s = store();
    s.observeHead("n0", "a3", 100, true);
    s.observeHead("n1", "b2", 100, true);
    expect(forkTree(s, 10, (b) => b.beneficiary).find((b) => b.hash === "b2")?.status).toBe("fork");
    const reorg = s.observeHead("n1", "a3", 200);
    expect(reorg).toMatchObject({ node: "n1", depth: 1, added: 2, forkHeight: 1, from: "b2", to: "a3" });
    const tree = forkTree(s, 10, (b) => b.beneficiary);
    expect(tree.find((b) => b.hash === "b2")).toMatchObject({ status: "stale" });
    expect(tree.filter((b) => b.lane === 0).map((b) => b.hash)).toEqual(["g", "a1", "a2", "a3"]);
    expect(tree.find((b) => b.hash === "a3")?.nodes.sort()).toEqual(["n0", "n1"]);
    expect(bestTip(s)?.hash).toBe("a3");
  });

  it("extending the head is no reorg; moving back onto the own chain is none either", () => {
    const s = store();
    s.observeHead("n0", "a2", 0, true);
    expect(s.observeHead("n0", "a3", 1)).toBeUndefined();
    expect(s.observeHead("n0", "a2", 2)).toBeUndefined();
    expect(s.reorgs).toEqual([]);
  });

  it("propagation: delays from the first node's sighting, quiet first polls excluded", () => {
    const s = store();
    s.observeHead("n0", "a1", 0, true);
    s.observeHead("n1", "a1", 0, true);
    s.observeHead("n0", "a3", 1000);
    s.observeHead("n1", "a2", 1250);
    s.observeHead("n1", "a3", 1500);
    const p = propagation(s, 10);
    expect(p.map((x) => x.hash)).toEqual(["a2", "a3"]);
    expect(p[0]).toMatchObject({ first: "n0", delays: { n1: 250 } });
    expect(p[1]).toMatchObject({ first: "n0", delays: { n1: 500 } });
  });

  it("producer share counts blocks on the chain against the reported rates", () => {
    const s = store();
    const best = [...s.ancestry("a3")].reverse();
    const rows = producerShare(
      best,
      (b) => b.beneficiary,
      new Map([
        ["alice", 300],
        ["bob", 100],
      ]),
    );
    expect(rows).toEqual([
      { producer: "alice", blocks: 2, blockShare: 2 / 3, rate: 300, rateShare: 0.75 },
      { producer: "bob", blocks: 1, blockShare: 1 / 3, rate: 100, rateShare: 0.25 },
    ]);
  });

  it("components show a partition", () => {
    expect(
      components(
        ["a", "b", "c", "d"],
        [
          ["a", "b"],
          ["c", "d"],
          ["b", "a"],
        ],
      ),
    ).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(
      components(
        ["a", "b", "c"],
        [
          ["a", "b"],
          ["b", "c"],
        ],
      ),
    ).toEqual([["a", "b", "c"]]);
  });

  it("keeps a bounded window of heights", () => {
    const s = new BlockStore({ keepHeights: 2 });
    for (const b of BLOCKS) s.add(b);
    expect(s.has("g")).toBe(false);
    expect(s.has("a3")).toBe(true);
  });
});
