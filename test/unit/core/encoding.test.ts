import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodePowFields,
  encodePowFields,
  POW_ENGINE_FIELDS_SIZE,
  type PowFields,
} from "../../../src/consensus/pow/layout.ts";
import { type Account, decodeAccount, EMPTY_ACCOUNT, encodeAccount } from "../../../src/core/account.ts";
import { Reader, U64_MAX, Writer } from "../../../src/core/encoding.ts";
import { DecodeError } from "../../../src/core/errors.ts";
import {
  accountArb,
  expectCanonicalOrDecodeError,
  mutate,
  mutationArb,
  safeUintArb,
  tally,
  u32Arb,
  u64Arb,
} from "./codec-helpers.ts";

/** A field of a test layout: how to write it and how to read it back. */
type Field =
  | { t: "u8" | "u16" | "u32" | "uint"; v: number }
  | { t: "u64"; v: bigint }
  | { t: "fixed" | "var1" | "var2" | "var4"; v: Uint8Array };

const fieldArb: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ t: fc.constant("u8" as const), v: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ t: fc.constant("u16" as const), v: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ t: fc.constant("u32" as const), v: u32Arb }),
  fc.record({ t: fc.constant("u64" as const), v: u64Arb }),
  fc.record({ t: fc.constant("uint" as const), v: safeUintArb }),
  fc.record({ t: fc.constant("fixed" as const), v: fc.uint8Array({ minLength: 5, maxLength: 5 }) }),
  fc.record({
    t: fc.constantFrom("var1" as const, "var2" as const, "var4" as const),
    v: fc.uint8Array({ maxLength: 40 }),
  }),
);

const VAR_MAX = 40;

function writeFields(fields: readonly Field[]): Uint8Array {
  const w = new Writer(4);
  for (const f of fields) {
    if (f.t === "u64") w.u64(f.v);
    else if (typeof f.v === "number") w[f.t as "u8" | "u16" | "u32" | "uint"](f.v);
    else if (f.t === "fixed") w.fixed(f.v, 5);
    else w.varBytes(f.v, f.t === "var1" ? 1 : f.t === "var2" ? 2 : 4, VAR_MAX);
  }
  return w.finish();
}

function readFields(layout: readonly Field["t"][], bytes: Uint8Array): Field[] {
  const r = new Reader(bytes, "test");
  const out = layout.map((t): Field => {
    if (t === "u64") return { t, v: r.u64(t) };
    if (t === "fixed") return { t, v: r.fixed(5, t) };
    if (t === "var1") return { t, v: r.varBytes(1, VAR_MAX, t) };
    if (t === "var2") return { t, v: r.varBytes(2, VAR_MAX, t) };
    if (t === "var4") return { t, v: r.varBytes(4, VAR_MAX, t) };
    return { t, v: r[t](t) };
  });
  r.end();
  return out;
}

describe("Writer and Reader", () => {
  it("round-trip any sequence of fields, growing the buffer as needed", () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 30 }), (fields) => {
        const bytes = writeFields(fields);
        expect(
          readFields(
            fields.map((f) => f.t),
            bytes,
          ),
        ).toEqual(fields);
      }),
      { numRuns: 1000 },
    );
  });

  it("on damaged bytes a layout decoder re-encodes exactly or throws DecodeError", () => {
    const outcomes: string[] = [];
    fc.assert(
      fc.property(fc.array(fieldArb, { minLength: 1, maxLength: 12 }), mutationArb, (fields, m) => {
        const layout = fields.map((f) => f.t);
        const bytes = mutate(writeFields(fields), [], m);
        outcomes.push(
          expectCanonicalOrDecodeError(
            (b) => readFields(layout, b),
            (v) => writeFields(v),
            bytes,
          ),
        );
      }),
      { numRuns: 2000 },
    );
    const seen = tally(outcomes);
    for (const code of ["ACCEPTED", "DECODE_TRUNCATED", "DECODE_TRAILING_BYTES", "DECODE_TOO_LARGE"]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it("writes big-endian", () => {
    const b = new Writer(1).u8(1).u16(0x0203).u32(0x04050607).u64(0x08090a0b0c0d0e0fn).finish();
    expect([...b]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it("reads from a subarray at a non-zero offset", () => {
    const backing = Uint8Array.of(0xff, 0xff, 0, 0, 0, 7, 0xff);
    expect(new Reader(backing.subarray(2, 6), "sub").u32("x")).toBe(7);
  });

  it("refuses to write integers outside their width instead of wrapping", () => {
    const bad: [string, () => unknown][] = [
      ["u8 256", () => new Writer().u8(256)],
      ["u8 -1", () => new Writer().u8(-1)],
      ["u8 1.5", () => new Writer().u8(1.5)],
      ["u16 65536", () => new Writer().u16(0x10000)],
      ["u32 2^32", () => new Writer().u32(2 ** 32)],
      ["u32 -1", () => new Writer().u32(-1)],
      ["u32 NaN", () => new Writer().u32(Number.NaN)],
      ["u64 2^64", () => new Writer().u64(U64_MAX + 1n)],
      ["u64 -1", () => new Writer().u64(-1n)],
      ["uint 2^53", () => new Writer().uint(2 ** 53)],
      ["uint -1", () => new Writer().uint(-1)],
      ["fixed wrong size", () => new Writer().fixed(new Uint8Array(4), 5)],
      ["varBytes over max", () => new Writer().varBytes(new Uint8Array(41), 1, 40)],
    ];
    for (const [what, write] of bad) expect(write, what).toThrow(RangeError);
  });

  it("reports truncation, oversize lengths, trailing bytes and unsafe integers with DecodeError codes", () => {
    const cases: [string, () => unknown, string][] = [
      ["empty u32", () => new Reader(new Uint8Array(0), "t").u32("x"), "DECODE_TRUNCATED"],
      ["short fixed", () => new Reader(new Uint8Array(3), "t").fixed(4, "x"), "DECODE_TRUNCATED"],
      ["var over max", () => new Reader(Uint8Array.of(41), "t").varBytes(1, 40, "x"), "DECODE_TOO_LARGE"],
      ["var past end", () => new Reader(Uint8Array.of(3, 1), "t").varBytes(1, 40, "x"), "DECODE_TRUNCATED"],
      ["count over max", () => new Reader(Uint8Array.of(0, 9), "t").count(2, 8, "x"), "DECODE_TOO_LARGE"],
      ["trailing", () => new Reader(new Uint8Array(1), "t").end(), "DECODE_TRAILING_BYTES"],
      ["fail", () => new Reader(new Uint8Array(0), "t").fail("nope"), "DECODE_BAD_VALUE"],
    ];
    for (const [what, run, code] of cases) {
      let thrown: unknown;
      try {
        run();
      } catch (err) {
        thrown = err;
      }
      expect(thrown, what).toBeInstanceOf(DecodeError);
      expect((thrown as DecodeError).code, what).toBe(code);
    }
    const unsafe = new Reader(new Writer().u64(1n << 53n).finish(), "t");
    expect(() => unsafe.uint("x")).toThrow(DecodeError);
    expect(new Reader(new Writer().uint(Number.MAX_SAFE_INTEGER).finish(), "t").uint("x")).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });
});

describe("decodeAccount", () => {
  it("round-trips: decode(encode(a)) = a, 16 bytes", () => {
    fc.assert(
      fc.property(accountArb, (a) => {
        const b = encodeAccount(a);
        expect(b.length).toBe(16);
        expect(decodeAccount(b)).toEqual(a);
      }),
      { numRuns: 1000 },
    );
    expect(encodeAccount(EMPTY_ACCOUNT)).toEqual(new Uint8Array(16));
  });

  it("random bytes re-encode exactly or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
        expectCanonicalOrDecodeError<Account>(decodeAccount, encodeAccount, b);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated encodings re-encode exactly or throw DecodeError", () => {
    fc.assert(
      fc.property(accountArb, mutationArb, (a, m) => {
        expectCanonicalOrDecodeError<Account>(decodeAccount, encodeAccount, mutate(encodeAccount(a), [], m));
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects a nonce above 2^53 - 1", () => {
    const b = new Writer()
      .u64(5n)
      .u64(1n << 53n)
      .finish();
    expect(() => decodeAccount(b)).toThrow(DecodeError);
  });
});

describe("decodePowFields", () => {
  const powArb: fc.Arbitrary<PowFields> = fc.record({ bits: u32Arb, extraNonce: u64Arb, nonce: u32Arb });

  it("round-trips: decode(encode(f)) = f, 16 bytes", () => {
    fc.assert(
      fc.property(powArb, (f) => {
        const b = encodePowFields(f);
        expect(b.length).toBe(POW_ENGINE_FIELDS_SIZE);
        expect(decodePowFields(b)).toEqual(f);
      }),
      { numRuns: 1000 },
    );
  });

  it("random and mutated bytes re-encode exactly or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
        expectCanonicalOrDecodeError(decodePowFields, encodePowFields, b);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(powArb, mutationArb, (f, m) => {
        expectCanonicalOrDecodeError(decodePowFields, encodePowFields, mutate(encodePowFields(f), [], m));
      }),
      { numRuns: 2000 },
    );
  });
});
