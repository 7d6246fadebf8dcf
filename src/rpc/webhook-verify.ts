/**
 * Receiver side of webhooks: a delivery is signed exactly like an API request, with the
 * webhook id as X-Chainlab-Key and the per-webhook secret as HMAC key. A receiver checks the
 * timestamp window, the signature, and that the nonce is new, then records it.
 */
import { AuthError, RequestError } from "./errors.ts";
import { type NonceStore, nonceKeepUntil } from "./nonce-store.ts";
import { parseAuthHeaders, verifySignature, verifyTimestamp } from "./signing.ts";

/** The JSON body of every delivery. */
export interface WebhookDelivery {
  /** Same id on every retry of one delivery, for idempotent receivers. */
  id: string;
  webhookId: string;
  event: string;
  createdAt: number;
  payload: unknown;
}

/** Options of verifyWebhookDelivery. */
export interface VerifyDeliveryOptions {
  /** Request target the receiver was called on (path and query), as signed by the node. */
  path: string;
  /** Nonces already accepted; the receiver keeps one store for its lifetime. */
  seenNonces: NonceStore;
  /** Receiver's clock in unix ms (default Date.now()). */
  now?: number;
  /** Accepted skew either way, default 30 000 ms. */
  windowMs?: number;
  /** If given, the X-Chainlab-Key header must equal it. */
  webhookId?: string;
  method?: string;
}

/**
 * Verifies a delivery and returns its parsed body, or throws AuthError (AUTH_BAD_SIGNATURE,
 * AUTH_STALE_TIMESTAMP, AUTH_REPLAYED_NONCE, ...). `secret` is the 64-hex-char secret from webhook_add.
 */
export function verifyWebhookDelivery(
  secret: string | Uint8Array,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: string | Uint8Array,
  opts: VerifyDeliveryOptions,
): WebhookDelivery {
  const h = parseAuthHeaders(normalizeHeaders(headers));
  if (opts.webhookId !== undefined && h.keyId !== opts.webhookId) {
    throw new AuthError("AUTH_UNKNOWN_KEY", "delivery is for another webhook", { keyId: h.keyId });
  }
  const windowMs = opts.windowMs ?? 30_000;
  // One clock reading for the window check and the replay store alike.
  const now = opts.now ?? Date.now();
  verifyTimestamp(h.timestamp, now, windowMs);
  const signed = {
    method: opts.method ?? "POST",
    path: opts.path,
    body,
    timestamp: h.timestampRaw,
    nonce: h.nonce,
  };
  if (!verifySignature(secret, signed, h.signature)) {
    throw new AuthError("AUTH_BAD_SIGNATURE", "delivery signature does not match");
  }
  const added = opts.seenNonces.add(h.keyId, h.nonce, nonceKeepUntil(h.timestamp, windowMs), { now });
  if (added === "replayed") throw new AuthError("AUTH_REPLAYED_NONCE", "delivery nonce already seen");
  if (added !== "added") {
    throw new RequestError("NONCE_QUOTA_EXCEEDED", "too many deliveries in the replay window");
  }
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  return JSON.parse(text) as WebhookDelivery;
}

function normalizeHeaders(
  headers: Headers | Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
    return out;
  }
  for (const [k, value] of Object.entries(headers)) out[k.toLowerCase()] = value;
  return out;
}
