/**
 * Keeps the node connected to its bootstrap and explicitly added peers: dials each target, and after
 * a failure or a disconnect redials with exponential backoff (base x 2^attempt, capped, with jitter).
 * Targets that are banned, partitioned or over the peer limit wait for the next attempt.
 */
import type { Libp2p } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import type { Logger } from "pino";
import { describeError } from "../core/errors.ts";
import { P2PError } from "./errors.ts";

interface Target {
  addr: Multiaddr;
  peer: string | undefined;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  dialing: boolean;
}

/** What the dialer needs to know about peers. */
export interface DialerDeps {
  libp2p: Libp2p;
  log: Logger;
  baseMs: number;
  maxMs: number;
  maxPeers: number;
  isBlocked(peer: string): boolean;
}

/** Parses a multiaddr string with a typed error. */
export function parseMultiaddr(text: string): Multiaddr {
  try {
    return multiaddr(text);
  } catch (err) {
    throw new P2PError("P2P_INVALID_MULTIADDR", `not a multiaddr: ${text} (${(err as Error).message})`);
  }
}

/** Bootstrap and explicit peers with exponential-backoff redialing. */
export class Dialer {
  private readonly deps: DialerDeps;
  private readonly targets = new Map<string, Target>();
  private stopped = false;

  constructor(deps: DialerDeps) {
    this.deps = deps;
  }

  /** Adds a target and dials it now; resolves when this first dial settles. */
  async add(addr: Multiaddr): Promise<boolean> {
    const key = addr.toString();
    let t = this.targets.get(key);
    if (t === undefined) {
      t = {
        addr,
        peer: addr.getComponents().find((c) => c.name === "p2p")?.value,
        attempt: 0,
        timer: undefined,
        dialing: false,
      };
      this.targets.set(key, t);
    }
    return this.dial(t);
  }

  private connected(t: Target): boolean {
    return (
      t.peer !== undefined &&
      this.deps.libp2p.getConnections().some((c) => c.remotePeer.toString() === t.peer)
    );
  }

  private async dial(t: Target): Promise<boolean> {
    if (this.stopped || t.dialing) return false;
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    if (this.connected(t)) {
      t.attempt = 0;
      return true;
    }
    if (
      (t.peer !== undefined && this.deps.isBlocked(t.peer)) ||
      this.deps.libp2p.getPeers().length >= this.deps.maxPeers
    ) {
      this.schedule(t);
      return false;
    }
    t.dialing = true;
    try {
      const conn = await this.deps.libp2p.dial(t.addr, { signal: AbortSignal.timeout(10_000) });
      t.peer = conn.remotePeer.toString();
      t.attempt = 0;
      return true;
    } catch (err) {
      this.deps.log.debug(
        { addr: t.addr.toString(), attempt: t.attempt, err: describeError(err) },
        "dial failed",
      );
      this.schedule(t);
      return false;
    } finally {
      t.dialing = false;
    }
  }

  private schedule(t: Target): void {
    if (this.stopped || t.timer) return;
    const delay = Math.min(this.deps.maxMs, this.deps.baseMs * 2 ** t.attempt);
    t.attempt = Math.min(t.attempt + 1, 30);
    t.timer = setTimeout(
      () => {
        t.timer = undefined;
        void this.dial(t);
      },
      delay * (0.75 + Math.random() * 0.5),
    );
    t.timer.unref();
  }

  /** A peer went away: redial its targets with backoff. */
  onDisconnect(peer: string): void {
    for (const t of this.targets.values()) if (t.peer === peer) this.schedule(t);
  }

  /** Dials every target now with a fresh backoff (after a partition heals). */
  redialAll(): void {
    for (const t of this.targets.values()) {
      t.attempt = 0;
      void this.dial(t);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.targets.values()) if (t.timer) clearTimeout(t.timer);
  }
}
