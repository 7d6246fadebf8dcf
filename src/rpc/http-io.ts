/**
 * HTTP plumbing: body readers that count bytes as they stream in, under a shared in-flight
 * budget and a timer of their own, and JSON/text responses.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { httpStatusFor } from "./authenticate.ts";
import { type AuthError, type JsonRpcError, RequestError } from "./errors.ts";
import { errorResponse, stringifyJson } from "./jsonrpc.ts";
import type { BodyDigest } from "./signing.ts";

/**
 * An HTTP reply: status, optional body (JSON unless `contentType` says otherwise) and extra
 * headers; `drop` means the client is gone and the socket is just destroyed.
 */
export interface HttpReply {
  status: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  drop?: boolean;
}

/** The reply refusing a request with a typed error (Retry-After when the error says how long). */
export function refusalReply(
  err: AuthError | RequestError | JsonRpcError,
  headers: Record<string, string> = {},
): HttpReply {
  const retryMs = err.data["retryAfterMs"];
  const retry: Record<string, string> =
    typeof retryMs === "number" ? { "Retry-After": String(Math.max(1, Math.ceil(retryMs / 1000))) } : {};
  return {
    status: httpStatusFor(err.code),
    body: stringifyJson(errorResponse(null, err)),
    headers: { ...retry, ...headers },
  };
}

/** A shared cap on the body bytes being read and not yet verified, over all requests. */
export interface BodyBudget {
  /** Reserves `n` bytes; false (reserving nothing) when the cap would be passed. */
  tryTake(n: number): boolean;
  release(n: number): void;
  readonly inFlight: number;
}

/** Creates a budget of `maxBytes` in-flight body bytes. */
export function createBodyBudget(maxBytes: number): BodyBudget {
  let inFlight = 0;
  return {
    get inFlight() {
      return inFlight;
    },
    tryTake(n) {
      if (inFlight + n > maxBytes) return false;
      inFlight += n;
      return true;
    },
    release(n) {
      inFlight = Math.max(0, inFlight - n);
    },
  };
}

/** Limits on reading one body. */
export interface BodyLimits {
  /** Most bytes accepted (BODY_TOO_LARGE past it). */
  limit: number;
  /** Time allowed for the whole body from the first call (BODY_TIMEOUT past it). */
  timeoutMs: number;
  /** Shared in-flight budget (SERVER_BUSY when it is exhausted); none for a drained body. */
  budget?: BodyBudget;
}

/**
 * Streams the body through `onChunk`, refusing it as soon as Content-Length or the bytes received
 * pass the limit, the timeout fires, the budget runs out, or the client goes away
 * (REQUEST_ABORTED). Budget bytes are released when the read settles.
 */
function consumeBody(
  req: IncomingMessage,
  limits: BodyLimits,
  onChunk: (chunk: Buffer) => void,
): Promise<number> {
  const { limit, budget } = limits;
  return new Promise((resolve, reject) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      reject(new RequestError("BODY_TOO_LARGE", `request body exceeds ${limit} bytes`, { limit }));
      return;
    }
    let size = 0;
    let taken = 0;
    const fail = (err: RequestError) => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        fail(new RequestError("BODY_TOO_LARGE", `request body exceeds ${limit} bytes`, { limit }));
        return;
      }
      if (budget) {
        if (!budget.tryTake(chunk.length)) {
          fail(new RequestError("SERVER_BUSY", "too many request bodies in flight; retry later"));
          return;
        }
        taken += chunk.length;
      }
      onChunk(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(size);
    };
    const onAbort = () => {
      if (!req.complete) fail(new RequestError("REQUEST_ABORTED", "client closed the connection mid-body"));
    };
    const timer = setTimeout(
      () => fail(new RequestError("BODY_TIMEOUT", `request body not received within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      budget?.release(taken);
      taken = 0;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onAbort);
  });
}

/** Reads and buffers the body within `limits` (see consumeBody). */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const size = await consumeBody(req, limits, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks, size);
}

/** Streams the body past without keeping it, returning only its SHA-256 (for requests refused anyway). */
export async function drainBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyDigest> {
  const h = createHash("sha256");
  await consumeBody(req, limits, (chunk) => h.update(chunk));
  return { sha256: h.digest("hex") };
}

/**
 * After a refused body: discard (never buffer) what the client still sends, up to `cap` bytes, so it
 * can read our response; past the cap the socket is destroyed.
 */
export function discardBody(req: IncomingMessage, cap: number): void {
  let seen = 0;
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.socket.destroy();
  });
  req.on("error", () => undefined);
  req.resume();
}

/** Sends a JSON body with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  json: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(json)),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(json);
}

/** Sends a response with no body. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Sends plain text (the metrics exposition). */
export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(text)) });
  res.end(text);
}
