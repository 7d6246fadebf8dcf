import { describe, expect, it } from "vitest";
import { PeerRateLimiter } from "../../../src/p2p/rate-limit.ts";

describe("PeerRateLimiter", () => {
  it("allows a burst, then refills at the configured rate, per peer", () => {
    let now = 0;
    const rl = new PeerRateLimiter({ burst: 10, perSecond: 5 }, () => now);
    expect(rl.take("a", 10)).toBe(true);
    expect(rl.take("a")).toBe(false);
    expect(rl.take("b", 10)).toBe(true);
    now += 1000;
    expect(rl.take("a", 5)).toBe(true);
    expect(rl.take("a")).toBe(false);
    now += 60_000;
    expect(rl.take("a", 11)).toBe(false); // never above the burst
    expect(rl.take("a", 10)).toBe(true);
  });

  it("keeps a bounded number of buckets", () => {
    const rl = new PeerRateLimiter({ burst: 1, perSecond: 1 }, () => 0);
    for (let i = 0; i < 5000; i++) rl.take(`p${i}`);
    expect(rl.size).toBeLessThanOrEqual(4096);
    expect(rl.take("p4999")).toBe(false); // recent peers keep their (empty) bucket
  });
});
