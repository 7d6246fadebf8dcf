/** Subscribes the service to the host's peer lifecycle and gossipsub heartbeat events. */
import type { IdentifyResult, PeerId } from "@libp2p/interface";
import type { Host } from "./host.ts";

/** What the service does on each host event. */
export interface HostEventHandlers {
  connected(peer: PeerId): void;
  disconnected(peer: string): void;
  /** Identify finished: the peer's protocols are known (the handshake starts here). */
  identified(result: IdentifyResult): void;
  heartbeat(): void;
}

/** Installs the handlers; returns the function that removes them. */
export function watchHost(host: Host, h: HostEventHandlers): () => void {
  const onConnect = (evt: CustomEvent<PeerId>): void => h.connected(evt.detail);
  const onDisconnect = (evt: CustomEvent<PeerId>): void => h.disconnected(evt.detail.toString());
  const onIdentify = (evt: CustomEvent<IdentifyResult>): void => h.identified(evt.detail);
  const onHeartbeat = (): void => h.heartbeat();
  host.addEventListener("peer:connect", onConnect);
  host.addEventListener("peer:disconnect", onDisconnect);
  host.addEventListener("peer:identify", onIdentify);
  host.services.pubsub.addEventListener("gossipsub:heartbeat", onHeartbeat);
  return () => {
    host.removeEventListener("peer:connect", onConnect);
    host.removeEventListener("peer:disconnect", onDisconnect);
    host.removeEventListener("peer:identify", onIdentify);
    host.services.pubsub.removeEventListener("gossipsub:heartbeat", onHeartbeat);
  };
}
