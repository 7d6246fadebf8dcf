/**
 * Captured signed RPC requests: what an attacker on the wire (or in a proxy's log) holds. A capture
 * is the exact method, path, body and the four auth headers; it can be resent as is, or with the
 * timestamp, body, method or path changed and the signature kept (the attacker has no secret).
 */
import { HEADER_TIMESTAMP, parseCredential, signedHeaders } from "../../rpc/signing.ts";

/** A signed request as it went over the wire. */
export interface CapturedRequest {
  method: string;
  path: string;
  body: string;
  /** Content-Type and the X-Chainlab-* headers. */
  headers: Record<string, string>;
}

/** What the server answered. */
export interface DeliveryResult {
  status: number;
  /** "OK" for a JSON-RPC result, else the error's code (data.code), else `HTTP_<status>`. */
  code: string;
  /** The server let the request through authentication and answered with a result. */
  accepted: boolean;
}

/** A request signed by the holder of `credential` (ID:SECRET) at `timestamp` (default now). */
export function signCaptured(
  credential: string,
  req: { method?: string; path?: string; body: string; timestamp?: number },
): CapturedRequest {
  const cred = parseCredential(credential);
  const method = req.method ?? "POST";
  const path = req.path ?? "/rpc";
  const headers = signedHeaders(cred.keyId, cred.secret, {
    method,
    path,
    body: req.body,
    ...(req.timestamp !== undefined ? { timestamp: req.timestamp } : {}),
  });
  return { method, path, body: req.body, headers: { "Content-Type": "application/json", ...headers } };
}

/** The capture with parts changed and its signature kept. */
export function alterCaptured(
  c: CapturedRequest,
  change: { method?: string; path?: string; body?: string; timestamp?: number },
): CapturedRequest {
  const headers = { ...c.headers };
  if (change.timestamp !== undefined) {
    const name = Object.keys(headers).find((h) => h.toLowerCase() === HEADER_TIMESTAMP)!;
    headers[name] = String(change.timestamp);
  }
  return {
    method: change.method ?? c.method,
    path: change.path ?? c.path,
    body: change.body ?? c.body,
    headers,
  };
}

/** Sends a capture to the node at `baseUrl` (http://host:port) exactly as it is. */
export async function deliverCaptured(baseUrl: string, c: CapturedRequest): Promise<DeliveryResult> {
  const res = await fetch(baseUrl.replace(/\/+$/, "") + c.path, {
    method: c.method,
    headers:
      c.method === "GET"
        ? Object.fromEntries(Object.entries(c.headers).filter(([k]) => k !== "Content-Type"))
        : c.headers,
    ...(c.method === "GET" ? {} : { body: c.body }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: { result?: unknown; error?: { data?: { code?: unknown } } } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const errorCode = json?.error?.data?.code;
  const code =
    typeof errorCode === "string"
      ? errorCode
      : res.status === 200 && (json === undefined || "result" in json)
        ? "OK"
        : `HTTP_${res.status}`;
  return { status: res.status, code, accepted: res.status === 200 && code === "OK" };
}
