import { describe, expect, it } from "vitest";
import { dialTargets, FULL_MESH_MAX_NODES } from "../../../src/testnet/testnet.ts";

/** The undirected edges the dials of `n` nodes make. */
function edges(n: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < n; i++) for (const j of dialTargets(i, n)) out.add(i < j ? `${i}-${j}` : `${j}-${i}`);
  return out;
}

/** Largest shortest-path distance between two nodes (breadth-first from each). */
function diameter(n: number): number {
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (const e of edges(n)) {
    const [a, b] = e.split("-").map(Number) as [number, number];
    adj[a]!.add(b);
    adj[b]!.add(a);
  }
  let worst = 0;
  for (let s = 0; s < n; s++) {
    const dist = new Array<number>(n).fill(-1);
    dist[s] = 0;
    const queue = [s];
    while (queue.length > 0) {
      const x = queue.shift()!;
      for (const y of adj[x]!) {
        if (dist[y] === -1) {
          dist[y] = dist[x]! + 1;
          queue.push(y);
        }
      }
    }
    if (dist.includes(-1)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, ...dist);
  }
  return worst;
}

describe("testnet topology", () => {
  it("is a full mesh up to the limit, each pair dialed once and never a node itself", () => {
    for (const n of [1, 2, 4, FULL_MESH_MAX_NODES]) {
      expect(edges(n).size).toBe((n * (n - 1)) / 2);
      let dials = 0;
      for (let i = 0; i < n; i++) {
        expect(dialTargets(i, n)).not.toContain(i);
        dials += dialTargets(i, n).length;
      }
      expect(dials).toBe((n * (n - 1)) / 2);
    }
  });

  it("is sparse, connected and at most log2(n) hops wide above the limit", () => {
    for (const n of [17, 33, 64, 100]) {
      const e = edges(n);
      expect(e.size).toBeLessThanOrEqual(n * Math.ceil(Math.log2(n)));
      expect(e.size).toBeLessThan((n * (n - 1)) / 2);
      expect(diameter(n)).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      for (let i = 0; i < n; i++) expect(dialTargets(i, n)).not.toContain(i);
    }
    // Steps 1..16 give 64 edges each; step 32 joins opposite nodes, each pair once.
    expect(edges(64).size).toBe(64 * 5 + 32);
  });
});
