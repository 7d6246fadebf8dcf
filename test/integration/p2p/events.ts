/** Waits on p2p service events for hostile-peer tests. */
import type { P2PEventMap } from "../../../src/p2p/events.ts";
import type { TestPeer } from "./harness.ts";

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
