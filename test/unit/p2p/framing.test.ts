import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { P2PError } from "../../../src/p2p/errors.ts";
import { encodeFrame, FrameReader, type StreamChunk } from "../../../src/p2p/framing.ts";

async function* source(chunks: StreamChunk[]): AsyncGenerator<StreamChunk> {
  for (const c of chunks) yield c;
}

/** Splits `bytes` at the given cut points. */
function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe("FrameReader", () => {
  it("reads back any frames however the bytes are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (payloads, cuts) => {
          const wire = concat(payloads.map(encodeFrame));
          const reader = new FrameReader(source(cut(wire, cuts)));
          for (const p of payloads) expect(await reader.read(1000)).toEqual(p);
          expect(await reader.read(1000)).toBeNull();
        },
      ),
    );
  });

  it("accepts list-of-buffer chunks (subarray())", async () => {
    const frame = encodeFrame(Uint8Array.of(1, 2, 3));
    const reader = new FrameReader(source([{ subarray: () => frame }]));
    expect(await reader.read(10)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it("refuses a frame above the limit before buffering it", async () => {
    const reader = new FrameReader(source([encodeFrame(new Uint8Array(100)).subarray(0, 4)]));
    await expect(reader.read(99)).rejects.toMatchObject({ code: "P2P_FRAME_TOO_LARGE" });
  });

  it("reports a stream that ends inside a header or a payload", async () => {
    const frame = encodeFrame(new Uint8Array(10));
    await expect(new FrameReader(source([frame.subarray(0, 2)])).read(100)).rejects.toBeInstanceOf(P2PError);
    await expect(new FrameReader(source([frame.subarray(0, 8)])).read(100)).rejects.toMatchObject({
      code: "P2P_STREAM_CLOSED",
    });
  });
});
