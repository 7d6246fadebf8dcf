/**
 * The authentication pipeline for one HTTP request, in two phases around the body read, with one
 * clock reading (`now`) for every check of the request.
 *
 * precheck (headers only, before any body byte is buffered): header format, timestamp window,
 * key lookup. A malformed or stale request is refused at once. An unknown or revoked key is
 * refused only after the body has been streamed past (hashed, not buffered) and a dummy HMAC
 * computed, so it costs what a wrong secret costs and answers with the same generic code.
 *
 * verify (with the body): constant-time signature check, expiry, nonce replay, the key's rate
 * limit (one token), and only then the nonce is recorded, so refused requests never fill the
 * replay store. It is synchronous, so the replay check and the record cannot interleave with
 * another request; a success spends the nonce.
 */
import { randomBytes } from "node:crypto";
import type { ApiKeyForAuth, ApiKeyStore } from "./api-keys.ts";
import type { AuditLog } from "./audit.ts";
import { AuthError, RequestError } from "./errors.ts";
import type { NodeMetrics } from "./metrics.ts";
import { type NonceStore, nonceKeepUntil } from "./nonce-store.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import {
  type AuthHeaders,
  type BodyDigest,
  parseAuthHeaders,
  verifySignature,
  verifyTimestamp,
} from "./signing.ts";
import { hasScope, type Scope } from "./types.ts";

/** The request as the authenticator sees it. */
export interface IncomingSignedRequest {
  method: string;
  /** The raw request target (path and query) as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array | BodyDigest;
}

/** A caller whose signature checked out. */
export interface AuthenticatedCaller {
  keyId: string;
  scopes: readonly Scope[];
}

/** What precheck learned from the headers. */
export interface Precheck {
  auth: AuthHeaders;
  /** Set for an unknown or revoked key: the refusal to give once the body has been drained. */
  deferred?: AuthError;
}

/** Authenticates signed requests. */
export interface Authenticator {
  /** Headers-only checks; throws AuthError for missing, malformed or out-of-window headers. */
  precheck(headers: IncomingSignedRequest["headers"], now: number): Precheck;
  /**
   * Every check that decides acceptance, at the single instant `now` (read after the body
   * arrived): window, key, signature, expiry, replay, rate. Returns the caller or throws
   * AuthError (401) / RequestError RATE_LIMITED or NONCE_QUOTA_EXCEEDED (429). Records the nonce
   * only on success.
   */
  verify(pre: Precheck, req: IncomingSignedRequest, now: number): AuthenticatedCaller;
}

/** The one message of AUTH_INVALID_CREDENTIALS, whatever the real reason. */
const INVALID_CREDENTIALS = "unknown API key or bad signature";

/** Creates the authenticator over the key store, a nonce store and the rate limiter. */
export function createAuthenticator(deps: {
  keys: Pick<ApiKeyStore, "lookup">;
  nonces: NonceStore;
  limiter: RateLimiter;
  windowMs: number;
}): Authenticator {
  const { keys, nonces, limiter, windowMs } = deps;
  // Unknown ids are checked against this, so they cost one HMAC like a wrong secret does.
  const dummySecret = randomBytes(32);
  return {
    precheck(headers, now) {
      const auth = parseAuthHeaders(headers);
      verifyTimestamp(auth.timestamp, now, windowMs);
      const deferred = unverifiable(auth.keyId, keys.lookup(auth.keyId, now));
      return deferred ? { auth, deferred } : { auth };
    },
    verify(pre, req, now) {
      const h = pre.auth;
      verifyTimestamp(h.timestamp, now, windowMs);
      const key = keys.lookup(h.keyId, now);
      const signed = {
        method: req.method,
        path: req.path,
        body: req.body,
        timestamp: h.timestampRaw,
        nonce: h.nonce,
      };
      const deferred = pre.deferred ?? unverifiable(h.keyId, key);
      if (deferred || !key?.secret) {
        verifySignature(dummySecret, signed, h.signature);
        throw deferred ?? new AuthError("AUTH_KEY_REVOKED", "API key is revoked", { keyId: h.keyId });
      }
      if (!verifySignature(key.secret, signed, h.signature)) {
        throw new AuthError(
          "AUTH_INVALID_CREDENTIALS",
          INVALID_CREDENTIALS,
          { keyId: h.keyId },
          "AUTH_BAD_SIGNATURE",
        );
      }
      if (key.status.state === "expired") {
        throw new AuthError("AUTH_KEY_EXPIRED", "API key has expired", { keyId: h.keyId });
      }
      if (nonces.has(h.keyId, h.nonce, now)) {
        throw new AuthError("AUTH_REPLAYED_NONCE", "nonce already used", { keyId: h.keyId });
      }
      if (!limiter.take(h.keyId, 1, now)) {
        throw rateLimited(limiter.retryAfterMs(h.keyId, 1, now));
      }
      const added = nonces.add(h.keyId, h.nonce, nonceKeepUntil(h.timestamp, windowMs), {
        now,
        privileged: hasScope(key.scopes, "admin"),
      });
      if (added === "replayed")
        throw new AuthError("AUTH_REPLAYED_NONCE", "nonce already used", { keyId: h.keyId });
      if (added !== "added") {
        throw new RequestError("NONCE_QUOTA_EXCEEDED", "too many requests in the replay window", {
          keyId: h.keyId,
          quota: added === "key_quota_full" ? "key" : "store",
        });
      }
      return { keyId: key.id, scopes: key.scopes };
    },
  };
}

/** The refusal for a key whose signature cannot be checked: unknown, or revoked (no secret). */
function unverifiable(keyId: string, key: ApiKeyForAuth | undefined): AuthError | undefined {
  if (!key) {
    return new AuthError("AUTH_INVALID_CREDENTIALS", INVALID_CREDENTIALS, { keyId }, "AUTH_UNKNOWN_KEY");
  }
  if (key.status.state === "revoked")
    return new AuthError("AUTH_KEY_REVOKED", "API key is revoked", { keyId });
  return undefined;
}

/** RATE_LIMITED with the wait in `retryAfterMs` (the server turns it into Retry-After). */
export function rateLimited(retryAfterMs: number): RequestError {
  return new RequestError("RATE_LIMITED", "rate limit exceeded for this API key", { retryAfterMs });
}

/** HTTP status for a refused request. */
export function httpStatusFor(code: string): number {
  if (code === "AUTH_FORBIDDEN_SCOPE" || code === "HOST_NOT_ALLOWED" || code === "ORIGIN_NOT_ALLOWED")
    return 403;
  if (code.startsWith("AUTH_")) return 401;
  if (code === "RATE_LIMITED" || code === "NONCE_QUOTA_EXCEEDED") return 429;
  if (code === "BODY_TOO_LARGE") return 413;
  if (code === "BODY_TIMEOUT") return 408;
  if (code === "SERVER_BUSY") return 503;
  return 400;
}

/**
 * Records a refusal: the audit entry (revoked_key_used / expired_key_used for those cases,
 * auth_failure with the precise reason for other auth codes, request_rejected otherwise) and the
 * metrics. The audit log aggregates repeated refusals.
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
