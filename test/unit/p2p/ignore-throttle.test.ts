import { describe, expect, it } from "vitest";
import { IgnoreThrottle } from "../../../src/p2p/ignore-throttle.ts";

function setup(opts: { limit?: number; maxPeers?: number } = {}) {
  const clock = { t: 0 };
  const throttle = new IgnoreThrottle({
    limit: opts.limit ?? 100,
    halfLifeMs: 10_000,
    throttleMs: 5_000,
    penalizeEvery: 3,
    maxPeers: opts.maxPeers ?? 16,
    now: () => clock.t,
  });
  return { clock, throttle };
}

describe("IgnoreThrottle", () => {
  it("lets a peer pass until its IGNOREd txs reach the limit, then skips its batches", () => {
    const { throttle } = setup();
    expect(throttle.record("mallory", 60)).toBe(false);
    expect(throttle.check("mallory")).toBe("pass");
    expect(throttle.record("mallory", 40)).toBe(true);
    expect(throttle.isThrottled("mallory")).toBe(true);
    expect(throttle.check("mallory")).toBe("skip");
    expect(throttle.check("honest")).toBe("pass");
  });

  it("penalizes every third batch a throttled peer keeps sending", () => {
    const { throttle } = setup();
    throttle.record("mallory", 100);
    const decisions = Array.from({ length: 7 }, () => throttle.check("mallory"));
    expect(decisions).toEqual(["skip", "skip", "penalize", "skip", "skip", "penalize", "skip"]);
  });

  it("lifts the throttle after its duration, and a fresh limit of IGNOREs is needed to re-throttle", () => {
    const { clock, throttle } = setup();
    throttle.record("mallory", 100);
    clock.t = 5_000;
    expect(throttle.check("mallory")).toBe("pass");
    expect(throttle.record("mallory", 99)).toBe(false);
    expect(throttle.record("mallory", 1)).toBe(true);
  });

  it("forgets slowly: the count halves every half-life, so a trickle of IGNOREs never throttles", () => {
    const { clock, throttle } = setup();
    for (let i = 0; i < 100; i++) {
      expect(throttle.record("relayer", 10)).toBe(false);
      clock.t += 10_000;
    }
    expect(throttle.check("relayer")).toBe("pass");
  });

  it("ignores batches without accountable IGNOREs", () => {
    const { throttle } = setup();
    expect(throttle.record("honest", 0)).toBe(false);
    expect(throttle.size).toBe(0);
  });

  it("tracks at most maxPeers peers, dropping the least recently seen", () => {
    const { throttle } = setup({ maxPeers: 4 });
    throttle.record("mallory", 100);
    for (let i = 0; i < 3; i++) throttle.record(`p${i}`, 1);
    expect(throttle.check("mallory")).toBe("skip");
    for (let i = 3; i < 6; i++) throttle.record(`p${i}`, 1);
    expect(throttle.size).toBe(4);
    // mallory was seen (checked) more recently than p0..p2, so those went first; now she goes too.
    throttle.record("p6", 1);
    expect(throttle.size).toBe(4);
    expect(throttle.isThrottled("mallory")).toBe(false);
  });
});
