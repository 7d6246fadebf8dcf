/** Shared arbitraries and the canonical-or-DecodeError property of every decoder. */
import fc from "fast-check";
import { expect } from "vitest";
import type { Account } from "../../../src/core/account.ts";
import type { Block, Header } from "../../../src/core/block.ts";
import { U64_MAX } from "../../../src/core/encoding.ts";
import { DecodeError } from "../../../src/core/errors.ts";
import { toHex } from "../../../src/core/hash.ts";
import type { Tx, TxKind } from "../../../src/core/tx.ts";

export const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
export const hashArb = bytes(32);
export const u32Arb = fc.integer({ min: 0, max: 0xffff_ffff });
export const u64Arb = fc.oneof(
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.constantFrom(0n, 1n, U64_MAX, U64_MAX - 1n, 1n << 53n),
);
export const safeUintArb = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.constantFrom(0, Number.MAX_SAFE_INTEGER),
  fc.maxSafeNat(),
);

/** A deep copy with every Uint8Array as hex: fast deep equality for large byte fields. */
export function hexify(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${toHex(value)}`;
  if (Array.isArray(value)) return value.map(hexify);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexify(v)]));
  }
  return value;
}

/** How often each outcome of expectCanonicalOrDecodeError occurred. */
export function tally(outcomes: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of outcomes) m.set(o, (m.get(o) ?? 0) + 1);
  return m;
}

/** Valid transactions; `maxPayload` keeps blocks small. */
export function txArb(maxPayload = 4096): fc.Arbitrary<Tx> {
  return fc.record({
    kind: fc.constantFrom<TxKind>(0, 1, 2, 3),
    chainId: u32Arb,
    from: hashArb,
    to: bytes(20),
    amount: u64Arb,
    fee: u64Arb,
    nonce: safeUintArb,
    expiresAt: safeUintArb,
    payload: fc.oneof(
      fc.uint8Array({ maxLength: Math.min(maxPayload, 64) }),
      fc.uint8Array({ maxLength: maxPayload }),
      fc.constant(new Uint8Array(maxPayload)),
    ),
    signature: bytes(64),
  });
}

export const headerArb: fc.Arbitrary<Header> = fc.record({
  version: fc.constant(1),
  height: safeUintArb,
  parentHash: hashArb,
  txRoot: hashArb,
  stateRoot: hashArb,
  beneficiary: bytes(20),
  timestamp: safeUintArb,
  engine: fc.oneof(fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 256 })),
});

export const blockArb: fc.Arbitrary<Block> = fc.record({
  header: headerArb,
  txs: fc.array(txArb(48), { maxLength: 4 }),
  engineBody: fc.uint8Array({ maxLength: 64 }),
});

export const accountArb: fc.Arbitrary<Account> = fc.record({ balance: u64Arb, nonce: safeUintArb });

/** A length prefix inside an encoding: its offset and width in bytes. */
export interface Prefix {
  offset: number;
  width: 1 | 2 | 4;
}

/** One way to damage an encoding. Positions are taken modulo the length. */
export type Mutation =
  | { kind: "flip"; at: number[]; mask: number }
  | { kind: "truncate"; at: number }
  | { kind: "append"; extra: Uint8Array }
  | { kind: "prefix"; which: number; value: number }
  | { kind: "prefixDelta"; which: number; delta: number }
  | { kind: "splice"; at: number; remove: number; insert: Uint8Array };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({
    kind: fc.constant("prefix" as const),
    which: fc.nat(),
    value: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(0xff, 0xffff, 0xffff_ffff), u32Arb),
  }),
  fc.record({
    kind: fc.constant("prefixDelta" as const),
    which: fc.nat(),
    delta: fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0),
  }),
  fc.record({
    kind: fc.constant("splice" as const),
    at: fc.nat(),
    remove: fc.integer({ min: 0, max: 8 }),
    insert: fc.uint8Array({ maxLength: 8 }),
  }),
);

function readPrefix(b: Uint8Array, p: Prefix): number {
  let v = 0;
  for (let i = 0; i < p.width; i++) v = v * 256 + b[p.offset + i]!;
  return v;
}

function writePrefix(b: Uint8Array, p: Prefix, value: number): void {
  let v = value;
  for (let i = p.width - 1; i >= 0; i--) {
    b[p.offset + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

/** Applies `m` to a copy of `b`; `prefixes` are the length prefixes of the original encoding. */
export function mutate(b: Uint8Array, prefixes: readonly Prefix[], m: Mutation): Uint8Array {
  const out = b.slice();
  const len = Math.max(out.length, 1);
  switch (m.kind) {
    case "flip":
      if (out.length === 0) return Uint8Array.of(m.mask);
      for (const at of m.at) out[at % len]! ^= m.mask;
      return out;
    case "truncate":
      return out.slice(0, m.at % len);
    case "append":
      return new Uint8Array([...out, ...m.extra]);
    case "prefix":
    case "prefixDelta": {
      const p = prefixes[m.which % Math.max(prefixes.length, 1)];
      if (p === undefined) return out.slice(0, -1);
      const max = 2 ** (8 * p.width) - 1;
      const value = m.kind === "prefix" ? m.value : readPrefix(out, p) + m.delta;
      writePrefix(out, p, Math.min(Math.max(value, 0), max) % (max + 1));
      return out;
    }
    case "splice": {
      const at = m.at % (out.length + 1);
      return new Uint8Array([...out.subarray(0, at), ...m.insert, ...out.subarray(at + m.remove)]);
    }
  }
}

/**
 * The decoder contract: `decode(bytes)` either returns a value that re-encodes to exactly `bytes`,
 * or throws DecodeError (never another error type). Returns "ACCEPTED" or the DecodeError's code.
 */
export function expectCanonicalOrDecodeError<T>(
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
  input: Uint8Array,
): string {
  let value: T;
  try {
    value = decode(input);
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      throw new Error(`decoder threw ${String(err)} (not a DecodeError) on ${toHex(input).slice(0, 200)}`);
    }
    return err.code;
  }
  expect(toHex(encode(value))).toBe(toHex(input));
  return "ACCEPTED";
}
