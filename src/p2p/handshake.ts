/**
 * The status handshake. It runs once identify has told us the peer's protocols: a peer that does not
 * speak this chain's status protocol is on another chain (its own status protocol names its genesis)
 * or is not a chainlab node, and is disconnected and banned with that reason. Otherwise we exchange
 * statuses, record the peer's head and start a sync round when it is heavier than ours.
 */
import type { IdentifyResult, PeerId } from "@libp2p/interface";
import type { Logger } from "pino";
import { ChainlabError, describeError } from "../core/errors.ts";
import { refuseConflictingFinality } from "./chain-status.ts";
import type { PeerClient } from "./client.ts";
import type { P2PNode } from "./node-port.ts";
import type { PeerManager } from "./peers.ts";
import { localStatus } from "./protocols.ts";
import type { SyncManager } from "./sync.ts";
import { peerIsAhead } from "./sync-claims.ts";
import { networkId, peerNetworkIds } from "./topics.ts";

/** What the handshake needs. */
export interface HandshakeDeps {
  node: P2PNode;
  client: PeerClient;
  peers: PeerManager;
  sync: SyncManager;
  statusProtocol: string;
  log: Logger;
  /** Protocols the peer store knows for a peer (from identify). */
  protocolsOf(peer: PeerId): Promise<string[]>;
}

/** Status exchange and foreign-peer refusal. */
export class Handshake {
  private readonly d: HandshakeDeps;

  constructor(deps: HandshakeDeps) {
    this.d = deps;
  }

  /** Identify finished for a connection: handshake, or refuse a peer on another chain. */
  onIdentify(result: IdentifyResult): void {
    if (result.protocols.includes(this.d.statusProtocol)) void this.exchange(result.peerId);
    else this.refuseForeign(result.peerId, result.protocols);
  }

  /** Exchanges statuses with `peer`; never throws. */
  async exchange(peer: PeerId): Promise<void> {
    const { node, client, peers, sync } = this.d;
    try {
      const status = await client.status(peer, localStatus(node));
      if (!peers.recordStatus(peer, status)) return;
      if (refuseConflictingFinality(node, peers, peer.toString(), status)) return;
      if (peerIsAhead(node, localStatus(node), status)) sync.trigger();
    } catch (err) {
      if (err instanceof ChainlabError && err.code === "P2P_PROTOCOL_UNSUPPORTED") {
        this.refuseForeign(peer, await this.d.protocolsOf(peer).catch(() => []));
        return;
      }
      this.d.log.debug({ peer: peer.toString(), err: describeError(err) }, "status exchange failed");
    }
  }

  /** Refreshes every connected peer's status (periodic), then re-checks sync. */
  refreshAll(): void {
    for (const r of this.d.peers.all()) void this.exchange(r.peerId);
    this.d.sync.trigger();
  }

  /** Disconnects and bans a peer that does not speak this chain's status protocol. */
  private refuseForeign(peer: PeerId, protocols: readonly string[]): void {
    const nets = peerNetworkIds(protocols);
    const reason = nets.length > 0 ? "GENESIS_MISMATCH" : "NOT_A_CHAINLAB_PEER";
    this.d.peers.ban(peer.toString(), reason, {
      theirs: nets.length > 0 ? nets.join(",") : undefined,
      ours: networkId(this.d.node.chain.genesisHash),
    });
  }
}
