/**
 * Replay at the window edge: a spent request re-sent at any instant, before, at or after its
 * window's end, is refused, even with a clock that moves between every reading (the bug of #10:
 * the timestamp check and the nonce store's pruning read the clock separately).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../../../src/rpc/authenticate.ts";
import { AuthError } from "../../../src/rpc/errors.ts";
import { createNonceStore, NONCE_MARGIN_MS } from "../../../src/rpc/nonce-store.ts";
import { createRateLimiter } from "../../../src/rpc/rate-limiter.ts";
import { signedHeaders } from "../../../src/rpc/signing.ts";

const SECRET = Buffer.alloc(32, 7);
const KEY = {
  id: "k_aaaaaaaaaaaa",
  scopes: ["read" as const],
  status: { state: "active" as const },
  secret: SECRET,
};

/** A clock that advances by the next step of `steps` (cycled) after every reading. */
function tickingClock(start: number, steps: number[]) {
  let t = start;
  let i = 0;
  return {
    set(v: number) {
      t = v;
    },
    now() {
      const v = t;
      t += steps[i++ % steps.length] ?? 0;
      return v;
    },
  };
}

function setup(windowMs: number, clock: { now(): number }) {
  const nonces = createNonceStore(clock);
  const limiter = createRateLimiter(clock, { ratePerSecond: 1e9, burst: 1e9 });
  const auth = createAuthenticator({ keys: { lookup: () => KEY }, nonces, limiter, windowMs });
  /** precheck and verify as the server runs them: two readings, one per phase. */
  const send = (headers: Record<string, string>) => {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const pre = auth.precheck(lower, clock.now());
    return auth.verify(
      pre,
      { method: "POST", path: "/rpc", headers: lower, body: new Uint8Array() },
      clock.now(),
    );
  };
  return { send };
}

const sign = (timestamp: number, nonce?: string) =>
  signedHeaders(KEY.id, SECRET, {
    method: "POST",
    path: "/rpc",
    body: "",
    timestamp,
    ...(nonce ? { nonce } : {}),
  });

describe("replay at the window edge", () => {
  it("refuses every replay of a spent request, at any instant through and past the window's end", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 60_000 }),
        fc.integer({ min: -1, max: 1 }), // where in the window the original lands
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: -20, max: NONCE_MARGIN_MS + 1200 }), { minLength: 5, maxLength: 40 }),
        (windowMs, where, steps, offsets) => {
          const ts = 1_750_000_000_000;
          const clock = tickingClock(ts, steps);
          const { send } = setup(windowMs, clock);
          const original = sign(ts);
          // The original arrives early, on time or just before its window closes.
          clock.set(ts + where * (windowMs - 10));
          expect(send(original).keyId).toBe(KEY.id);
          // Replays step through the window's end (ts + windowMs) and well beyond it; other
          // traffic in between makes the store prune at every instant.
          for (const off of [...offsets].sort((a, b) => a - b)) {
            const at = Math.max(clock.now(), ts + windowMs + off);
            clock.set(at);
            send(sign(at, undefined));
            clock.set(at);
            let refusal: unknown;
            try {
              send(original);
            } catch (err) {
              refusal = err;
            }
            expect(refusal).toBeInstanceOf(AuthError);
            expect(["AUTH_REPLAYED_NONCE", "AUTH_STALE_TIMESTAMP"]).toContain((refusal as AuthError).code);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses the replay of a request stamped exactly now − window at every millisecond of the edge", () => {
    const windowMs = 30_000;
    for (let step = 0; step <= 3; step++) {
      const clock = tickingClock(0, [step]);
      const { send } = setup(windowMs, clock);
      for (let edge = -3; edge <= 3; edge++) {
        const now = 1_000_000 + edge * 7919;
        clock.set(now);
        const spent = sign(now - windowMs);
        let first: unknown;
        try {
          first = send(spent);
        } catch (err) {
          first = err;
        }
        clock.set(now);
        expect(() => send(spent)).toThrow(AuthError);
        if (!(first instanceof AuthError)) {
          clock.set(now + 1);
          expect(() => send(spent)).toThrow(AuthError);
        }
      }
    }
  });
});
