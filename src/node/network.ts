/** The daemon's network: the libp2p service from p2p/, configured from the node settings. */
import { createP2P } from "../p2p/index.ts";
import type { NetworkFactory } from "./daemon.ts";

/** Builds the p2p service for a node from its settings (listen, bootstrap, peers, bans, status refresh). */
export const createNetwork: NetworkFactory = async (node, settings, log) =>
  createP2P(
    node,
    {
      dataDir: node.config.dataDir,
      listen: settings["p2p.listen"],
      bootstrap: settings["p2p.bootstrap"],
      maxPeers: settings["p2p.max_peers"],
      banDurationMs: settings["p2p.ban_duration"],
      statusIntervalMs: settings["p2p.status_interval"],
    },
    { log },
  );
