/**
 * Request/response over one libp2p stream per request. The requester writes one framed request and
 * closes its write side; the responder writes zero or more framed chunks (code u8 + payload, see
 * messages.ts) and closes. Both sides bound frame sizes, chunk counts, total bytes and time.
 */
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { ChainlabError, DecodeError } from "../core/errors.ts";
import { P2PError } from "./errors.ts";
import { FRAME_HEADER_SIZE, FrameReader, writeFrame } from "./framing.ts";
import { decodeChunk, MAX_ERROR_MESSAGE, ResponseCode } from "./messages.ts";

/** Bounds of one outgoing request. */
export interface RequestLimits {
  timeoutMs: number;
  maxChunks: number;
  maxChunkBytes: number;
  maxTotalBytes: number;
}

/** Bounds of one incoming request. */
export interface ServeLimits {
  timeoutMs: number;
  maxRequestBytes: number;
}

/** Produces the response payloads of one request; throws P2PError to answer with an error code. */
export type RequestHandler = (
  peer: PeerId,
  request: Uint8Array,
) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

function isAbort(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === "AbortError" || name === "TimeoutError";
}

/** Maps a libp2p dial/stream failure to a P2PError. */
export function toP2PError(err: unknown, what: string): P2PError {
  if (err instanceof P2PError) return err;
  if (err instanceof ChainlabError)
    return new P2PError("P2P_BAD_RESPONSE", `${what}: ${err.message}`, { cause: err.code });
  const name = (err as Error | undefined)?.name ?? "Error";
  const message = (err as Error | undefined)?.message ?? String(err);
  if (name === "UnsupportedProtocolError")
    return new P2PError("P2P_PROTOCOL_UNSUPPORTED", `${what}: ${message}`);
  if (isAbort(err)) return new P2PError("P2P_TIMEOUT", `${what}: timed out`);
  return new P2PError("P2P_STREAM_CLOSED", `${what}: ${name}: ${message}`);
}

function remoteError(code: number, payload: Uint8Array, what: string): P2PError {
  const text = new TextDecoder().decode(payload.subarray(0, MAX_ERROR_MESSAGE));
  if (code === ResponseCode.rateLimited)
    return new P2PError("P2P_RATE_LIMITED", `${what}: peer rate-limited us`);
  return new P2PError("P2P_REMOTE_ERROR", `${what}: peer answered code ${code}: ${text}`, {
    remoteCode: code,
  });
}

/** Sends one request and collects the response payloads, within `limits`. */
export async function sendRequest(
  libp2p: Libp2p,
  peer: PeerId,
  protocol: string,
  payload: Uint8Array,
  limits: RequestLimits,
): Promise<Uint8Array[]> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let stream: Stream;
  try {
    stream = await libp2p.dialProtocol(peer, protocol, { signal });
  } catch (err) {
    throw toP2PError(err, protocol);
  }
  const onAbort = (): void => stream.abort(new P2PError("P2P_TIMEOUT", `${protocol}: timed out`));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await writeFrame(stream, payload, signal);
    await stream.close({ signal });
    const reader = new FrameReader(stream);
    const out: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const frame = await reader.read(limits.maxChunkBytes + 1);
      if (frame === null) break;
      const chunk = decodeChunk(frame);
      if (chunk.code !== ResponseCode.ok) throw remoteError(chunk.code, chunk.payload, protocol);
      total += chunk.payload.length;
      if (out.length >= limits.maxChunks || total > limits.maxTotalBytes) {
        throw new P2PError(
          "P2P_BAD_RESPONSE",
          `${protocol}: response exceeds ${limits.maxChunks} chunks or ${limits.maxTotalBytes} bytes`,
        );
      }
      out.push(chunk.payload);
    }
    return out;
  } catch (err) {
    if (signal.aborted)
      throw new P2PError("P2P_TIMEOUT", `${protocol}: no complete response in ${limits.timeoutMs} ms`);
    throw toP2PError(err, protocol);
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (stream.status === "open") stream.abort(new Error("request finished"));
  }
}

async function writeChunk(
  stream: Stream,
  code: ResponseCode,
  payload: Uint8Array,
  signal: AbortSignal,
): Promise<void> {
  // Header and code in one send, the payload unchanged in a second: no copy of large blocks.
  const head = new Uint8Array(FRAME_HEADER_SIZE + 1);
  new DataView(head.buffer).setUint32(0, payload.length + 1);
  head[FRAME_HEADER_SIZE] = code;
  if (!stream.send(head)) await stream.onDrain({ signal });
  if (payload.length > 0 && !stream.send(payload)) await stream.onDrain({ signal });
}

function errorCode(err: unknown): ResponseCode {
  if (err instanceof P2PError && err.code === "P2P_RATE_LIMITED") return ResponseCode.rateLimited;
  const badRequest =
    err instanceof P2PError && (err.code === "P2P_BAD_REQUEST" || err.code === "P2P_DUPLICATE_HASHES");
  if (err instanceof DecodeError || badRequest) {
    return ResponseCode.badRequest;
  }
  return ResponseCode.serverError;
}

/** Serves one incoming stream: reads the request, streams the handler's payloads, closes. */
export async function serveStream(
  stream: Stream,
  connection: Connection,
  limits: ServeLimits,
  handler: RequestHandler,
  onError: (err: unknown, peer: PeerId) => void,
): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
    stream.abort(
      new P2PError("P2P_TIMEOUT", `${stream.protocol}: response took longer than ${limits.timeoutMs} ms`),
    );
  }, limits.timeoutMs);
  const peer = connection.remotePeer;
  try {
    const reader = new FrameReader(stream);
    const request = await reader.read(limits.maxRequestBytes);
    if (request === null) throw new P2PError("P2P_BAD_REQUEST", "empty request");
    for await (const payload of handler(peer, request)) {
      await writeChunk(stream, ResponseCode.ok, payload, controller.signal);
    }
  } catch (err) {
    onError(err, peer);
    if (!controller.signal.aborted && stream.writeStatus === "writable") {
      const message = err instanceof ChainlabError ? `${err.code}: ${err.message}` : "internal error";
      const text = new TextEncoder().encode(message.slice(0, MAX_ERROR_MESSAGE));
      await writeChunk(stream, errorCode(err), text, controller.signal).catch(() => {});
    }
  } finally {
    clearTimeout(timer);
    await stream
      .close({ signal: AbortSignal.timeout(limits.timeoutMs) })
      .catch((err: Error) => stream.abort(err));
  }
}
