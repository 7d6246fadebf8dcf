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
  });

  it.each([
    [{ maxPeers: 0 }],
    [{ syncBatchSize: 65 }],
    [{ banThreshold: -1 }],
    [{ rateLimits: { blocksPerSecond: 0 } }],
    [{ mdns: true as unknown as false }],
  ])("rejects %j", (bad) => {
    expect(() => resolveOptions({ dataDir: "/tmp/x", ...bad })).toThrow(
      expect.objectContaining({ code: "P2P_BAD_OPTIONS" }),
    );
  });
});
