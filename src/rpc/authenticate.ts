/**
 * The authentication pipeline for one HTTP request, in this order: header format, timestamp
 * window, key lookup, constant-time signature check, key status (revoked, expired), nonce
 * replay. It is synchronous, so the replay check and the nonce record cannot interleave with
 * another request. A failure changes nothing; a success spends the nonce, so a replay of any
 * correctly signed request is refused whatever happened to the original.
 */
import type { ApiKeyStore } from "./api-keys.ts";
import type { AuditLog } from "./audit.ts";
import { AuthError, RequestError } from "./errors.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { NonceStore } from "./nonce-store.ts";
import { parseAuthHeaders, verifySignature, verifyTimestamp } from "./signing.ts";
import type { Clock, Scope } from "./types.ts";

/** The request as the authenticator sees it. */
export interface IncomingSignedRequest {
  method: string;
  /** The raw request target (path and query) as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** A caller whose signature checked out. */
export interface AuthenticatedCaller {
  keyId: string;
  scopes: readonly Scope[];
}

/** Authenticates signed requests. */
export interface Authenticator {
  /** Returns the caller or throws AuthError (401) / RequestError RATE_LIMITED (nonce store full). */
  authenticate(req: IncomingSignedRequest): AuthenticatedCaller;
}

/** Creates the authenticator over the key store and a nonce store. */
export function createAuthenticator(deps: {
  keys: ApiKeyStore;
  nonces: NonceStore;
  clock: Clock;
  windowMs: number;
}): Authenticator {
  const { keys, nonces, clock, windowMs } = deps;
  return {
    authenticate(req) {
      const h = parseAuthHeaders(req.headers);
      verifyTimestamp(h.timestamp, clock.now(), windowMs);
      const key = keys.lookup(h.keyId);
      if (!key) throw new AuthError("AUTH_UNKNOWN_KEY", "unknown API key", { keyId: h.keyId });
      const signed = {
        method: req.method,
        path: req.path,
        body: req.body,
        timestamp: h.timestampRaw,
        nonce: h.nonce,
      };
      if (!verifySignature(key.secret, signed, h.signature)) {
        throw new AuthError("AUTH_BAD_SIGNATURE", "signature does not match", { keyId: h.keyId });
      }
      if (key.status.state === "revoked") {
        throw new AuthError("AUTH_KEY_REVOKED", "API key is revoked", { keyId: h.keyId });
      }
      if (key.status.state === "expired") {
        throw new AuthError("AUTH_KEY_EXPIRED", "API key has expired", { keyId: h.keyId });
      }
      if (nonces.has(h.keyId, h.nonce)) {
        throw new AuthError("AUTH_REPLAYED_NONCE", "nonce already used", { keyId: h.keyId });
      }
      if (!nonces.add(h.keyId, h.nonce, h.timestamp + windowMs)) {
        throw new RequestError("RATE_LIMITED", "too many requests in the replay window", { keyId: h.keyId });
      }
      return { keyId: key.id, scopes: key.scopes };
    },
  };
}

/** HTTP status for a refused request. */
export function httpStatusFor(code: string): number {
  if (code === "AUTH_FORBIDDEN_SCOPE") return 403;
  if (code.startsWith("AUTH_")) return 401;
  if (code === "RATE_LIMITED") return 429;
  if (code === "BODY_TOO_LARGE") return 413;
  return 400;
}

/**
 * Records a refusal: the audit entry (revoked_key_used / expired_key_used for those cases,
 * auth_failure for other auth codes, request_rejected otherwise) and the metrics.
 */
export function reportRejection(
  deps: { audit: AuditLog; metrics: NodeMetrics },
  r: { code: string; keyId?: string | undefined; remote: string; method?: string },
): void {
  const { audit, metrics } = deps;
  const keyId = r.keyId;
  const withKey = keyId === undefined ? {} : { keyId };
  if (r.code === "AUTH_KEY_REVOKED" && keyId)
    audit.record({ event: "revoked_key_used", keyId, remote: r.remote });
  else if (r.code === "AUTH_KEY_EXPIRED" && keyId)
    audit.record({ event: "expired_key_used", keyId, remote: r.remote });
  else if (r.code.startsWith("AUTH_"))
    audit.record({ event: "auth_failure", reason: r.code, ...withKey, remote: r.remote });
  else {
    const method = r.method === undefined ? {} : { method: r.method };
    audit.record({ event: "request_rejected", reason: r.code, ...withKey, remote: r.remote, ...method });
  }
  if (r.code.startsWith("AUTH_")) metrics.authFailures.inc({ reason: r.code });
  metrics.rpcRequests.inc({ method: r.method ?? "none", status: r.code });
}
