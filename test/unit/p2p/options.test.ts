import { describe, expect, it } from "vitest";
import { DEFAULT_LISTEN, resolveOptions } from "../../../src/p2p/options.ts";

describe("p2p options", () => {
  it("defaults to loopback on a free port and sane limits", () => {
    const o = resolveOptions({ dataDir: "/tmp/x" });
    expect(o.listen).toEqual([DEFAULT_LISTEN]);
    expect(DEFAULT_LISTEN).toBe("/ip4/127.0.0.1/tcp/0");
    expect(o.requestTimeoutMs).toBe(10_000);
    expect(o.syncBatchSize).toBeLessThanOrEqual(64);
    expect(o.statusIntervalMs).toBe(5_000);
    expect(o.syncSlowResponseMs).toBe(5_000);
    expect(o.maxResponseBytes).toBe(16 * 1024 * 1024);
    expect(o.rateLimits.byteBurst).toBeGreaterThanOrEqual(o.maxResponseBytes);
    expect(o.penaltyHalfLifeMs).toBe(10 * 60_000);
  });

  it("a slow-response threshold at or past the timeout falls back to half of it", () => {
    expect(
      resolveOptions({ dataDir: "/x", requestTimeoutMs: 800, syncSlowResponseMs: 900 }).syncSlowResponseMs,
    ).toBe(400);
    expect(
      resolveOptions({ dataDir: "/x", requestTimeoutMs: 800, syncSlowResponseMs: 300 }).syncSlowResponseMs,
    ).toBe(300);
  });

  it.each([
    [{ maxPeers: 0 }],
    [{ syncBatchSize: 65 }],
    [{ banThreshold: -1 }],
    [{ rateLimits: { blocksPerSecond: 0 } }],
    [{ rateLimits: { bytesPerSecond: 0 } }],
    [{ maxResponseBytes: 32 * 1024 * 1024 }],
    [{ maxRememberedPeers: 0 }],
    [{ mdns: true as unknown as false }],
  ])("rejects %j", (bad) => {
    expect(() => resolveOptions({ dataDir: "/tmp/x", ...bad })).toThrow(
      expect.objectContaining({ code: "P2P_BAD_OPTIONS" }),
    );
  });
});
