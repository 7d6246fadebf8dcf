import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../../src/core/errors.ts";
import {
  bytesEqual,
  concatBytes,
  fromHex,
  HASH_SIZE,
  hashFromHex,
  sha256,
  toHex,
  utf8,
  ZERO_HASH,
} from "../../../src/core/hash.ts";
import { readVectors } from "../../helpers/vectors.ts";

interface Vector {
  message: string;
  sha256: string;
}

const vectors: Vector[] = readVectors<{ vectors: Vector[] }>("sha256-fips180.json").vectors;

describe("sha256", () => {
  it("has the FIPS 180-2 vectors", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(3);
  });

  for (const v of vectors) {
    it(`FIPS 180-2: "${v.message.slice(0, 20)}${v.message.length > 20 ? "..." : ""}"`, () => {
      expect(toHex(sha256(utf8(v.message)))).toBe(v.sha256);
    });
  }

  it("the one-million-'a' FIPS example", () => {
    expect(toHex(sha256(utf8("a".repeat(1_000_000))))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("hashing parts equals hashing their concatenation", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 6 }), (parts) => {
        expect(sha256(...parts)).toEqual(sha256(concatBytes(...parts)));
        expect(sha256(...parts).length).toBe(HASH_SIZE);
      }),
      { numRuns: 500 },
    );
  });
});

describe("hex helpers", () => {
  it("round-trip bytes through hex", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
        expect(fromHex(`0x${toHex(b).toUpperCase()}`)).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it("reject odd lengths and non-hex characters with DecodeError", () => {
    for (const s of ["0", "abc", "zz", "0x0", "12 34", "0xg0", "+1"]) {
      expect(() => fromHex(s), s).toThrow(DecodeError);
    }
  });

  it("hashFromHex requires exactly 32 bytes", () => {
    expect(hashFromHex("00".repeat(32))).toEqual(ZERO_HASH);
    expect(() => hashFromHex("00".repeat(31))).toThrow(DecodeError);
    expect(() => hashFromHex("00".repeat(33))).toThrow(DecodeError);
  });

  it("bytesEqual compares length and content", () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});
