/**
 * Length-prefixed framing over a libp2p 3 stream: each frame is a u32 big-endian length followed by
 * that many bytes. The reader enforces a per-frame maximum before buffering the payload, so a peer
 * cannot make us hold more than one bounded frame.
 */
import type { Stream } from "@libp2p/interface";
import { P2PError } from "./errors.ts";

/** A chunk as a libp2p stream yields it: bytes, or a list of buffers with subarray(). */
export type StreamChunk = Uint8Array | { subarray(): Uint8Array };

/** Size of the length prefix. */
export const FRAME_HEADER_SIZE = 4;

function toBytes(chunk: StreamChunk): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray();
}

/** Reads frames from a stream's byte source. */
export class FrameReader {
  private readonly source: AsyncIterator<StreamChunk>;
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(source: AsyncIterable<StreamChunk>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Buffers at least `n` bytes; false when the source ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      const r = await this.source.next();
      if (r.done) return false;
      const bytes = toBytes(r.value);
      if (bytes.length === 0) continue;
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
    return true;
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - o);
        out.set(c.subarray(0, k), o);
        o += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  /** The next frame, or null when the stream ended cleanly between frames. */
  async read(maxLength: number): Promise<Uint8Array | null> {
    if (!(await this.fill(FRAME_HEADER_SIZE))) {
      if (this.buffered === 0) return null;
      throw new P2PError("P2P_STREAM_CLOSED", "stream ended inside a frame header");
    }
    const header = this.take(FRAME_HEADER_SIZE);
    const length = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_SIZE).getUint32(0);
    if (length > maxLength) {
      throw new P2PError("P2P_FRAME_TOO_LARGE", `frame of ${length} bytes exceeds ${maxLength}`, {
        got: length,
        max: maxLength,
      });
    }
    if (!(await this.fill(length))) throw new P2PError("P2P_STREAM_CLOSED", "stream ended inside a frame");
    return length === 0 ? new Uint8Array(0) : this.take(length);
  }

  /** True when the source has ended and nothing is buffered (checks for trailing data). */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

/** Encodes one frame (length prefix and payload in one buffer). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** Writes one frame, waiting for the stream to drain when its buffer is full. */
export async function writeFrame(stream: Stream, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
  const header = new Uint8Array(FRAME_HEADER_SIZE);
  new DataView(header.buffer).setUint32(0, payload.length);
  if (!stream.send(header)) await stream.onDrain(signal ? { signal } : {});
  if (payload.length > 0 && !stream.send(payload)) await stream.onDrain(signal ? { signal } : {});
}
