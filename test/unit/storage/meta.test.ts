import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeHeader } from "../../../src/core/block.ts";
import { Writer } from "../../../src/core/encoding.ts";
import { DecodeError } from "../../../src/core/errors.ts";
import { decodeMeta, encodeMeta, MAX_ENGINE_META, type StoredMeta } from "../../../src/storage/meta.ts";
import { BlockStatus } from "../../../src/storage/schema.ts";
import {
  expectCanonicalOrDecodeError,
  headerArb,
  hexify,
  mutate,
  mutationArb,
  type Prefix,
} from "../core/codec-helpers.ts";

const metaArb: fc.Arbitrary<StoredMeta> = fc.record({
  status: fc.constantFrom(BlockStatus.stored, BlockStatus.valid, BlockStatus.invalid),
  engineMeta: fc.uint8Array({ maxLength: MAX_ENGINE_META }),
  header: headerArb,
});

/** A meta record assembled by hand: status, raw engine metadata bytes, header. */
function rawMeta(status: number, weight: Uint8Array, tail = new Uint8Array(0)): Uint8Array {
  const header = encodeHeader(fc.sample(headerArb, { numRuns: 1, seed: 7 })[0]!);
  return new Writer().u8(status).varBytes(weight, 1, 255).raw(header).raw(tail).finish();
}

describe("block meta records", () => {
  it("decode(encode(meta)) equals meta", () => {
    fc.assert(
      fc.property(metaArb, (m) => {
        expect(hexify(decodeMeta(encodeMeta(m)))).toEqual(hexify(m));
      }),
    );
  });

  it("keep empty engine metadata as an empty byte string", () => {
    const m = fc.sample(metaArb, { numRuns: 1, seed: 1 })[0]!;
    expect(encodeMeta({ ...m, engineMeta: new Uint8Array(0) })[1]).toBe(0);
  });

  it("reject an unknown status", () => {
    expect(() => decodeMeta(rawMeta(3, Uint8Array.of(1)))).toThrow(DecodeError);
  });

  it("read a record written before the engine seam (PoW work as the weight field) unchanged", () => {
    const bytes = rawMeta(1, Uint8Array.of(0x01, 0x00));
    expect(Array.from(decodeMeta(bytes).engineMeta)).toEqual([1, 0]);
  });

  it("reject bytes after the header", () => {
    expect(() => decodeMeta(rawMeta(1, Uint8Array.of(1), Uint8Array.of(0)))).toThrow(DecodeError);
  });

  it("decode mutated records canonically or throw DecodeError, never anything else", () => {
    fc.assert(
      fc.property(metaArb, mutationArb, (m, mutation) => {
        const bytes = encodeMeta(m);
        const metaLen = bytes[1]!;
        const prefixes: Prefix[] = [
          { offset: 1, width: 1 },
          { offset: 2 + metaLen + 136, width: 4 },
        ];
        expectCanonicalOrDecodeError(decodeMeta, encodeMeta, mutate(bytes, prefixes, mutation));
      }),
      { numRuns: 300 },
    );
  });
});
