/** The authenticator's two phases: what is refused before the body, and the one generic 401. */
import { describe, expect, it } from "vitest";
import type { ApiKeyForAuth } from "../../../src/rpc/api-keys.ts";
import { createAuthenticator } from "../../../src/rpc/authenticate.ts";
import { createNonceStore } from "../../../src/rpc/nonce-store.ts";
import { createRateLimiter } from "../../../src/rpc/rate-limiter.ts";
import { signedHeaders } from "../../../src/rpc/signing.ts";

const NOW = 1_750_000_000_000;
const SECRET = Buffer.alloc(32, 1);
const keys: Record<string, ApiKeyForAuth> = {
  k_live00000000: { id: "k_live00000000", scopes: ["read"], status: { state: "active" }, secret: SECRET },
  k_gone00000000: { id: "k_gone00000000", scopes: ["read"], status: { state: "revoked", at: 1 } },
};
const clock = { now: () => NOW };
const auth = createAuthenticator({
  keys: { lookup: (id) => keys[id] },
  nonces: createNonceStore(clock),
  limiter: createRateLimiter(clock),
  windowMs: 30_000,
});
const headersFor = (keyId: string, secret: Buffer, timestamp = NOW) =>
  Object.fromEntries(
    Object.entries(signedHeaders(keyId, secret, { method: "POST", path: "/rpc", body: "{}", timestamp })).map(
      ([k, v]) => [k.toLowerCase(), v],
    ),
  );
const attempt = (headers: Record<string, string>) => {
  const pre = auth.precheck(headers, NOW);
  try {
    auth.verify(pre, { method: "POST", path: "/rpc", headers, body: Buffer.from("{}") }, NOW);
    return { deferred: pre.deferred?.code, code: "ok" };
  } catch (err) {
    const e = err as { code: string; auditReason: string; message: string };
    return { deferred: pre.deferred?.code, code: e.code, auditReason: e.auditReason, message: e.message };
  }
};

describe("authenticator", () => {
  it("refuses a stale timestamp in precheck, before any body", () => {
    expect(() => auth.precheck(headersFor("k_live00000000", SECRET, NOW - 60_000), NOW)).toThrow(
      expect.objectContaining({ code: "AUTH_STALE_TIMESTAMP" }),
    );
  });

  it("defers an unknown key to after the body and answers it exactly like a wrong secret", () => {
    const unknown = attempt(headersFor("k_none00000000", SECRET));
    const wrong = attempt(headersFor("k_live00000000", Buffer.alloc(32, 2)));
    expect(unknown).toEqual({
      deferred: "AUTH_INVALID_CREDENTIALS",
      code: "AUTH_INVALID_CREDENTIALS",
      auditReason: "AUTH_UNKNOWN_KEY",
      message: "unknown API key or bad signature",
    });
    expect(wrong).toEqual({ ...unknown, deferred: undefined, auditReason: "AUTH_BAD_SIGNATURE" });
  });

  it("refuses a revoked key without its secret, and accepts a live one", () => {
    expect(attempt(headersFor("k_gone00000000", SECRET))).toMatchObject({ code: "AUTH_KEY_REVOKED" });
    expect(attempt(headersFor("k_live00000000", SECRET))).toEqual({ deferred: undefined, code: "ok" });
  });
});
