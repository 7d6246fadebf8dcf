/** The daemon builds its network with createP2P (src/node/network.ts): it must stay a NetworkFactory. */
import { describe, expect, it } from "vitest";
import type { NetworkFactory, NetworkService } from "../../../src/node/daemon.ts";
import { createNetwork } from "../../../src/node/network.ts";
import type { P2PService } from "../../../src/p2p/index.ts";

/** Fails to compile if P2PService stops satisfying the daemon's NetworkService. */
const asService = (s: P2PService): NetworkService => s;

describe("daemon wiring", () => {
  it("createNetwork is a NetworkFactory backed by P2PService", () => {
    const factory: NetworkFactory = createNetwork;
    expect(typeof factory).toBe("function");
    expect(typeof asService).toBe("function");
  });
});
