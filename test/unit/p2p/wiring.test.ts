/**
 * The wiring the daemon uses (src/cli/network.ts): createP2P must fit node/daemon.ts's
 * NetworkFactory with the p2p.* settings, so this file type-checks that exact function.
 */
import { describe, expect, it } from "vitest";
import type { NetworkFactory } from "../../../src/node/daemon.ts";
import { createP2P } from "../../../src/p2p/index.ts";

/** What src/cli/network.ts can export as createNetwork. */
const createNetwork: NetworkFactory = (node, settings, log) =>
  createP2P(
    node,
    {
      dataDir: node.config.dataDir,
      listen: settings["p2p.listen"],
      bootstrap: settings["p2p.bootstrap"],
      maxPeers: settings["p2p.max_peers"],
      banDurationMs: settings["p2p.ban_duration"],
    },
    { log },
  );

describe("daemon wiring", () => {
  it("createP2P is a NetworkFactory", () => {
    expect(typeof createNetwork).toBe("function");
  });
});
