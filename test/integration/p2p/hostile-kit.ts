/** Test-side helpers of the hostile-peer suites: a per-test harness with attackers, and event waits. */
import { afterEach } from "vitest";
import {
  type HostileOptions,
  type HostilePeer,
  startHostile,
} from "../../../src/experiments/adversary/raw-peer.ts";
import type { P2PEventMap } from "../../../src/p2p/events.ts";
import type { StatusMessage } from "../../../src/p2p/messages.ts";
import type { ChainNames } from "../../../src/p2p/topics.ts";
import { Harness, type TestPeer } from "./harness.ts";

/** A fresh harness per test, plus hostile peers; all torn down after each test. */
export interface HostileTestbed {
  readonly h: Harness;
  hostile(names: ChainNames, status: StatusMessage, opts?: HostileOptions): Promise<HostilePeer>;
}

/** Registers the teardown (call inside `describe`). */
export function hostileTestbed(): HostileTestbed {
  let h = new Harness();
  const hostiles: HostilePeer[] = [];
  afterEach(async () => {
    await Promise.allSettled(hostiles.splice(0).map((p) => p.stop()));
    await h.close();
    h = new Harness();
  });
  return {
    get h() {
      return h;
    },
    async hostile(names, status, opts) {
      const p = await startHostile(names, status, opts);
      hostiles.push(p);
      return p;
    },
  };
}

/** Resolves with the first `name` event of `p` that `match` accepts; rejects after `timeoutMs`. */
export function nextEvent<K extends keyof P2PEventMap>(
  p: TestPeer,
  name: K,
  match: (e: P2PEventMap[K]) => boolean,
  timeoutMs = 20_000,
): Promise<P2PEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${p.name}: no ${name} event in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = p.p2p.on(name, (e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** Resolves when `p` bans `peer`, with the reason. */
export async function bannedBy(p: TestPeer, peer: string, timeoutMs = 20_000): Promise<string> {
  return (await nextEvent(p, "peer:banned", (e) => e.peer === peer, timeoutMs)).reason;
}

/** Resolves when `p` counts an offence of `peer` (optionally with `reason`), with its points after. */
export async function penalizedBy(
  p: TestPeer,
  peer: string,
  reason?: string,
  timeoutMs = 20_000,
): Promise<P2PEventMap["peer:penalized"]> {
  return nextEvent(
    p,
    "peer:penalized",
    (e) => e.peer === peer && (reason === undefined || e.reason === reason),
    timeoutMs,
  );
}
