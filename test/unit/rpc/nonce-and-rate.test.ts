import { describe, expect, it } from "vitest";
import { createNonceStore } from "../../../src/rpc/index.ts";
import { createRateLimiter } from "../../../src/rpc/rate-limiter.ts";

const clockAt = (t: number) => ({
  t,
  now() {
    return this.t;
  },
});

describe("nonce store", () => {
  it("remembers a nonce per key until its keep-until time, then forgets it", () => {
    const clock = clockAt(1000);
    const s = createNonceStore(clock);
    expect(s.add("k1", "n1", 2000)).toBe(true);
    expect(s.has("k1", "n1")).toBe(true);
    expect(s.has("k2", "n1")).toBe(false);
    clock.t = 2000;
    expect(s.has("k1", "n1")).toBe(true);
    clock.t = 2001;
    expect(s.has("k1", "n1")).toBe(false);
    expect(s.size).toBe(0);
  });

  it("fails closed when full instead of forgetting live nonces, and frees space as time passes", () => {
    const clock = clockAt(0);
    const s = createNonceStore(clock, { maxEntries: 3, maxPerKey: 2 });
    expect(s.add("a", "1", 10)).toBe(true);
    expect(s.add("a", "2", 10)).toBe(true);
    expect(s.add("a", "3", 10)).toBe(false); // per-key share
    expect(s.add("b", "1", 20)).toBe(true);
    expect(s.add("c", "1", 20)).toBe(false); // total
    expect(s.has("a", "1")).toBe(true);
    clock.t = 11;
    expect(s.add("c", "1", 20)).toBe(true);
    expect(s.size).toBe(2);
  });
});

describe("rate limiter", () => {
  it("allows a burst, then refills at the rate, per key", () => {
    const clock = clockAt(0);
    const r = createRateLimiter(clock, { ratePerSecond: 2, burst: 3 });
    expect([r.take("a"), r.take("a"), r.take("a"), r.take("a")]).toEqual([true, true, true, false]);
    expect(r.take("b")).toBe(true);
    expect(r.retryAfterMs("a")).toBe(500);
    clock.t = 500;
    expect(r.take("a")).toBe(true);
    expect(r.take("a")).toBe(false);
    clock.t = 10_000;
    expect(r.take("a", 3)).toBe(true);
    expect(r.take("a", 4)).toBe(false);
  });

  it("takes nothing when a multi-token request is refused", () => {
    const r = createRateLimiter(clockAt(0), { ratePerSecond: 1, burst: 2 });
    expect(r.take("a", 3)).toBe(false);
    expect(r.take("a", 2)).toBe(true);
  });
});
