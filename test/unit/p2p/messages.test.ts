import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../../src/core/errors.ts";
import {
  decodeChunk,
  decodeHashRequest,
  decodeRangeRequest,
  decodeStatus,
  encodeChunk,
  encodeHashRequest,
  encodeRangeRequest,
  encodeStatus,
  MAX_BLOCKS_PER_REQUEST,
  MAX_STATUS_SIZE,
  ResponseCode,
} from "../../../src/p2p/messages.ts";

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const status = fc
  .record({
    genesisHash: hash,
    headHash: hash,
    headHeight: fc.nat({ max: Number.MAX_SAFE_INTEGER - 1000 }),
    finalized: fc.record({ height: fc.nat({ max: 1000 }), hash }),
    weight: fc.uint8Array({ maxLength: 64 }),
  })
  .map((s) => ({ ...s, headHeight: s.headHeight + s.finalized.height }));

describe("req/resp messages", () => {
  it("status round-trips canonically and stays within its maximum size", () => {
    fc.assert(
      fc.property(status, (s) => {
        const bytes = encodeStatus(s);
        expect(bytes.length).toBeLessThanOrEqual(MAX_STATUS_SIZE);
        expect(decodeStatus(bytes)).toEqual(s);
        expect(encodeStatus(decodeStatus(bytes))).toEqual(bytes);
      }),
    );
  });

  it("status rejects trailing bytes, an oversized weight and a finalized height above the head", () => {
    const s = {
      genesisHash: new Uint8Array(32),
      headHash: new Uint8Array(32),
      headHeight: 1,
      finalized: { height: 0, hash: new Uint8Array(32) },
      weight: Uint8Array.of(5),
    };
    const good = encodeStatus(s);
    const oversized = Uint8Array.from([...good.subarray(0, 112), 65, ...new Uint8Array(65)]);
    expect(() => decodeStatus(Uint8Array.from([...good, 0]))).toThrow(DecodeError);
    expect(() => decodeStatus(oversized)).toThrow(DecodeError);
    expect(() => decodeStatus(encodeStatus({ ...s, finalized: { height: 2, hash: s.headHash } }))).toThrow(
      DecodeError,
    );
  });

  it("range requests round-trip and bound the count", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 40 }),
        fc.integer({ min: 1, max: MAX_BLOCKS_PER_REQUEST }),
        (startHeight, count) => {
          expect(decodeRangeRequest(encodeRangeRequest({ startHeight, count }))).toEqual({
            startHeight,
            count,
          });
        },
      ),
    );
    expect(() => decodeRangeRequest(encodeRangeRequest({ startHeight: 0, count: 0 }))).toThrow(DecodeError);
    expect(() => decodeRangeRequest(encodeRangeRequest({ startHeight: 0, count: 65 }))).toThrow(DecodeError);
  });

  it("hash requests round-trip and bound the list", () => {
    fc.assert(
      fc.property(fc.array(hash, { minLength: 1, maxLength: MAX_BLOCKS_PER_REQUEST }), (hashes) => {
        expect(decodeHashRequest(encodeHashRequest(hashes))).toEqual(hashes);
      }),
    );
    expect(() => decodeHashRequest(encodeHashRequest([]))).toThrow(DecodeError);
    const tooMany = Array.from({ length: MAX_BLOCKS_PER_REQUEST + 1 }, () => new Uint8Array(32));
    expect(() => decodeHashRequest(encodeHashRequest(tooMany))).toThrow(DecodeError);
  });

  it("response chunks carry a code; an empty chunk reads as a server error", () => {
    expect(decodeChunk(encodeChunk(ResponseCode.ok, Uint8Array.of(9)))).toEqual({
      code: 0,
      payload: Uint8Array.of(9),
    });
    expect(decodeChunk(new Uint8Array(0)).code).toBe(ResponseCode.serverError);
  });
});
