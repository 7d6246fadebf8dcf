/**
 * Request signing shared by the server, the client and webhooks. The signature is the hex
 * HMAC-SHA256, keyed with the 32 secret bytes (the hex secret decoded), of
 * `METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(sha256(BODY))`, where PATH is the request target as sent
 * (path plus query string) and TIMESTAMP/NONCE are the exact header strings.
 */
import {
  createHmac,
  createSecretKey,
  hash,
  type KeyObject,
  randomFillSync,
  timingSafeEqual,
} from "node:crypto";
import { ApiKeyError, AuthError } from "./errors.ts";

/** Header names (lowercase, as node:http exposes them). */
export const HEADER_KEY = "x-chainlab-key";
export const HEADER_TIMESTAMP = "x-chainlab-timestamp";
export const HEADER_NONCE = "x-chainlab-nonce";
export const HEADER_SIGNATURE = "x-chainlab-signature";

/** Nonces are 16 to 64 random bytes in lowercase hex. */
export const NONCE_PATTERN = /^[0-9a-f]{32,128}$/;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,16}$/;
const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/;
const SECRET_PATTERN = /^[0-9a-fA-F]{64}$/;

/** A body known only by its SHA-256 (hex), for a body that was streamed past without buffering. */
export interface BodyDigest {
  sha256: string;
}

/** The parts of a request that the signature covers. */
export interface SignableRequest {
  method: string;
  path: string;
  body: string | Uint8Array | BodyDigest;
  timestamp: number | string;
  nonce: string;
}

/** The four auth headers after format checks. */
export interface AuthHeaders {
  keyId: string;
  timestamp: number;
  timestampRaw: string;
  nonce: string;
  signature: string;
}

/** A parsed `ID:SECRET` credential. */
export interface Credential {
  keyId: string;
  secret: Buffer;
}

/** The string that is signed. */
export function canonicalRequest(req: SignableRequest): string {
  const body = req.body;
  const bodyHash =
    typeof body === "string"
      ? hash("sha256", body, "hex")
      : body instanceof Uint8Array
        ? hash("sha256", Buffer.from(body.buffer, body.byteOffset, body.byteLength), "hex")
        : body.sha256;
  return `${req.method.toUpperCase()}\n${req.path}\n${req.timestamp}\n${req.nonce}\n${bodyHash}`;
}

/** Hex HMAC-SHA256 of the canonical request; `secret` is the 32 bytes or their 64-char hex. */
export function signRequest(secret: Uint8Array | string, req: SignableRequest): string {
  return createHmac("sha256", hmacKey(secret)).update(canonicalRequest(req)).digest("hex");
}

/** Constant-time check of a hex signature against the request. */
export function verifySignature(
  secret: Uint8Array | string,
  req: SignableRequest,
  signature: string,
): boolean {
  if (!SIGNATURE_PATTERN.test(signature)) return false;
  const expected = createHmac("sha256", hmacKey(secret)).update(canonicalRequest(req)).digest();
  return timingSafeEqual(expected, Buffer.from(signature, "hex"));
}

// Nonces come from a pool refilled from the CSPRNG 4 KiB at a time (one syscall per 256 nonces).
const noncePool = Buffer.alloc(4096);
let noncePoolAt = noncePool.length;

/** A fresh nonce: 16 CSPRNG bytes as 32 hex chars. */
export function newNonce(): string {
  if (noncePoolAt + 16 > noncePool.length) {
    randomFillSync(noncePool);
    noncePoolAt = 0;
  }
  const hex = noncePool.toString("hex", noncePoolAt, noncePoolAt + 16);
  noncePoolAt += 16;
  return hex;
}

/** The four headers for a request, with a fresh nonce and the given (or current) timestamp. */
export function signedHeaders(
  keyId: string,
  secret: Uint8Array | string,
  req: { method: string; path: string; body: string | Uint8Array; timestamp?: number; nonce?: string },
): Record<string, string> {
  const timestamp = String(req.timestamp ?? Date.now());
  const nonce = req.nonce ?? newNonce();
  const signature = signRequest(secret, { ...req, timestamp, nonce });
  return {
    "X-Chainlab-Key": keyId,
    "X-Chainlab-Timestamp": timestamp,
    "X-Chainlab-Nonce": nonce,
    "X-Chainlab-Signature": signature,
  };
}

/** Extracts and format-checks the auth headers (AUTH_MISSING_HEADERS / AUTH_MALFORMED_HEADERS). */
export function parseAuthHeaders(headers: Record<string, string | string[] | undefined>): AuthHeaders {
  const get = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
  };
  const keyId = get(HEADER_KEY);
  const timestampRaw = get(HEADER_TIMESTAMP);
  const nonce = get(HEADER_NONCE);
  const signature = get(HEADER_SIGNATURE);
  if (keyId === undefined || timestampRaw === undefined || nonce === undefined || signature === undefined) {
    const missing = [HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE].filter((h) => !get(h));
    throw new AuthError("AUTH_MISSING_HEADERS", `missing auth headers: ${missing.join(", ")}`, { missing });
  }
  const bad = (header: string, expected: string) =>
    new AuthError("AUTH_MALFORMED_HEADERS", `${header}: expected ${expected}`, { header });
  if (!KEY_ID_PATTERN.test(keyId)) throw bad(HEADER_KEY, "a key id");
  if (!TIMESTAMP_PATTERN.test(timestampRaw)) throw bad(HEADER_TIMESTAMP, "unix milliseconds");
  if (!NONCE_PATTERN.test(nonce)) throw bad(HEADER_NONCE, "32 to 128 lowercase hex chars");
  if (!SIGNATURE_PATTERN.test(signature)) throw bad(HEADER_SIGNATURE, "64 hex chars");
  return { keyId, timestamp: Number(timestampRaw), timestampRaw, nonce, signature };
}

/** Rejects a timestamp more than `windowMs` away from `now` (AUTH_STALE_TIMESTAMP / AUTH_FUTURE_TIMESTAMP). */
export function verifyTimestamp(timestamp: number, now: number, windowMs: number): void {
  if (timestamp < now - windowMs) {
    throw new AuthError("AUTH_STALE_TIMESTAMP", "timestamp is older than the allowed window", { windowMs });
  }
  if (timestamp > now + windowMs) {
    throw new AuthError("AUTH_FUTURE_TIMESTAMP", "timestamp is ahead of the allowed window", { windowMs });
  }
}

/** Parses `ID:SECRET` (surrounding whitespace ignored) or throws APIKEY_BAD_CREDENTIAL. */
export function parseCredential(text: string): Credential {
  const trimmed = text.trim();
  const i = trimmed.indexOf(":");
  const keyId = i < 0 ? "" : trimmed.slice(0, i);
  const secret = i < 0 ? "" : trimmed.slice(i + 1);
  if (!KEY_ID_PATTERN.test(keyId) || !SECRET_PATTERN.test(secret)) {
    throw new ApiKeyError("APIKEY_BAD_CREDENTIAL", "API key: expected ID:SECRET with a 64-hex-char secret");
  }
  return { keyId, secret: Buffer.from(secret, "hex") };
}

// HMAC keys as KeyObjects, cached per secret buffer: building the key object from raw bytes on
// every request cost more than the HMAC itself (bench:rpc).
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

function hmacKey(secret: Uint8Array | string): KeyObject {
  if (typeof secret === "string") return createSecretKey(secretBytes(secret));
  let key = keyObjects.get(secret);
  if (key === undefined) {
    key = createSecretKey(secret);
    keyObjects.set(secret, key);
  }
  return key;
}

function secretBytes(secret: Uint8Array | string): Uint8Array {
  if (typeof secret !== "string") return secret;
  if (!SECRET_PATTERN.test(secret))
    throw new ApiKeyError("APIKEY_BAD_CREDENTIAL", "secret: expected 64 hex chars");
  return Buffer.from(secret, "hex");
}
