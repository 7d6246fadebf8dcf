/** A small typed event emitter for the p2p service's observable events (tests, RPC, experiments). */
import type { StatusMessage } from "./messages.ts";

/** Events of the p2p service and their payloads. */
export interface P2PEventMap {
  "peer:connected": { peer: string };
  "peer:disconnected": { peer: string };
  "peer:status": { peer: string; status: StatusMessage };
  "peer:banned": { peer: string; reason: string; untilMs: number };
  /** An offence was counted against a peer (`points`: its decayed penalty after it). */
  "peer:penalized": { peer: string; reason: string; points: number };
  "sync:done": { peer: string; height: number; imported: number };
}

type Listener<T> = (event: T) => void;

/** Listeners by event name; a throwing listener never breaks the emitter. */
export class P2PEvents {
  private readonly listeners = new Map<keyof P2PEventMap, Set<Listener<never>>>();
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof P2PEventMap>(name: K, listener: Listener<P2PEventMap[K]>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof P2PEventMap>(name: K, event: P2PEventMap[K]): void {
    for (const l of this.listeners.get(name) ?? []) {
      try {
        (l as Listener<P2PEventMap[K]>)(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
