/** Counters of the p2p layer, for stats(), logs and metrics. */

/** Where sync stands. */
export interface SyncProgress {
  syncing: boolean;
  peer?: string;
  startHeight: number;
  height: number;
  target: number;
  /** Blocks imported in the current (or last) round. */
  imported: number;
  /** Blocks imported by sync since start. */
  totalImported: number;
  blocksPerSecond: number;
  /** Completed sync rounds. */
  rounds: number;
}

/** Sync progress before any round. */
export function idleSync(): SyncProgress {
  return {
    syncing: false,
    startHeight: 0,
    height: 0,
    target: 0,
    imported: 0,
    totalImported: 0,
    blocksPerSecond: 0,
    rounds: 0,
  };
}

/** A snapshot of every counter. */
export interface P2PStatsSnapshot {
  peers: number;
  /** Gossip messages received and published, by topic. */
  messagesIn: Record<string, number>;
  messagesOut: Record<string, number>;
  /** Gossip verdicts by topic. */
  accepted: Record<string, number>;
  ignored: Record<string, number>;
  /** Invalid input (gossip REJECTs, bad req/resp data) by reason code. */
  rejections: Record<string, number>;
  /** Disconnections we initiated, by reason. */
  disconnects: Record<string, number>;
  bans: number;
  activeBans: number;
  requestsIn: Record<string, number>;
  requestsOut: Record<string, number>;
  requestErrors: Record<string, number>;
  rateLimited: number;
  /** Block bytes served in req/resp responses, by protocol. */
  bytesServed: Record<string, number>;
  /** Offences of syncing peers by code (see sync.ts). */
  syncOffences: Record<string, number>;
  sync: SyncProgress;
}

function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

/** Mutable counters owned by one p2p service. */
export class P2PStats {
  readonly messagesIn: Record<string, number> = {};
  readonly messagesOut: Record<string, number> = {};
  readonly accepted: Record<string, number> = {};
  readonly ignored: Record<string, number> = {};
  readonly rejections: Record<string, number> = {};
  readonly disconnects: Record<string, number> = {};
  readonly requestsIn: Record<string, number> = {};
  readonly requestsOut: Record<string, number> = {};
  readonly requestErrors: Record<string, number> = {};
  readonly bytesServed: Record<string, number> = {};
  readonly syncOffences: Record<string, number> = {};
  bans = 0;
  rateLimited = 0;

  count(map: Record<string, number>, key: string, n = 1): void {
    bump(map, key, n);
  }

  /** A copy of every counter plus the live figures passed in. */
  snapshot(live: { peers: number; activeBans: number; sync: SyncProgress }): P2PStatsSnapshot {
    return {
      peers: live.peers,
      messagesIn: { ...this.messagesIn },
      messagesOut: { ...this.messagesOut },
      accepted: { ...this.accepted },
      ignored: { ...this.ignored },
      rejections: { ...this.rejections },
      disconnects: { ...this.disconnects },
      bans: this.bans,
      activeBans: live.activeBans,
      requestsIn: { ...this.requestsIn },
      requestsOut: { ...this.requestsOut },
      requestErrors: { ...this.requestErrors },
      rateLimited: this.rateLimited,
      bytesServed: { ...this.bytesServed },
      syncOffences: { ...this.syncOffences },
      sync: { ...live.sync },
    };
  }
}
