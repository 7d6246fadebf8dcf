import { describe, expect, it } from "vitest";
import { createNonceStore } from "../../../src/rpc/index.ts";
import { nonceQuotaFor } from "../../../src/rpc/nonce-store.ts";
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
    const s = createNonceStore(clock, { granularityMs: 1 });
    expect(s.add("k1", "n1", 2000)).toBe("added");
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
    const s = createNonceStore(clock, { maxEntries: 3, maxPerKey: 2, reserved: 0, granularityMs: 1 });
    expect(s.add("a", "1", 10)).toBe("added");
    expect(s.add("a", "2", 10)).toBe("added");
    expect(s.add("a", "3", 10)).toBe("key_quota_full"); // per-key share
    expect(s.add("b", "1", 20)).toBe("added");
    expect(s.add("c", "1", 20)).toBe("store_full"); // total
    expect(s.has("a", "1")).toBe(true);
    clock.t = 11;
    expect(s.add("c", "1", 20)).toBe("added");
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

describe("nonce store quotas and pruning", () => {
  it("prunes by expiry: an entry with a far expiry added first does not hold back the others", () => {
    const clock = clockAt(0);
    const s = createNonceStore(clock, { granularityMs: 1 });
    expect(s.add("future", "f", 1_000_000)).toBe("added");
    for (let i = 0; i < 5; i++) expect(s.add("k", `n${i}`, 10)).toBe("added");
    clock.t = 11;
    expect(s.has("k", "n0")).toBe(false);
    expect(s.size).toBe(1);
    expect(s.has("future", "f")).toBe(true);
  });

  it("never prunes early with coarse buckets, and at most one bucket late", () => {
    const clock = clockAt(0);
    const s = createNonceStore(clock, { granularityMs: 1000 });
    s.add("k", "a", 1500);
    clock.t = 1500;
    expect(s.has("k", "a")).toBe(true);
    clock.t = 1999;
    expect(s.has("k", "a")).toBe(true);
    clock.t = 2000;
    expect(s.has("k", "a")).toBe(false);
  });

  it("keeps a reserve that ordinary keys cannot use, so a privileged caller always has room", () => {
    const s = createNonceStore(clockAt(0), { maxEntries: 10, reserved: 3, maxPerKey: 10 });
    for (let i = 0; i < 7; i++) expect(s.add(`k${i}`, "n", 100)).toBe("added");
    expect(s.add("k7", "n", 100)).toBe("store_full");
    expect(s.add("admin", "n1", 100, { privileged: true })).toBe("added");
    expect(s.add("admin", "n2", 100, { privileged: true })).toBe("added");
    expect(s.add("admin", "n3", 100, { privileged: true })).toBe("added");
    expect(s.add("admin", "n4", 100, { privileged: true })).toBe("store_full");
  });

  it("sizes the per-key quota from the rate limit so an honest key never reaches it", () => {
    expect(nonceQuotaFor({ ratePerSecond: 200, burst: 400 }, 65_000)).toBe(13_400);
  });

  it("uses the caller's clock reading when one is given", () => {
    const s = createNonceStore(clockAt(1_000_000), { granularityMs: 1 });
    s.add("k", "n", 10, { now: 5 });
    expect(s.has("k", "n", 10)).toBe(true);
    expect(s.has("k", "n", 11)).toBe(false);
  });
});
