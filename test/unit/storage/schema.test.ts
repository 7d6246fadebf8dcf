import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  blockKey,
  canonicalKey,
  engineKey,
  genesisKey,
  headKey,
  metaKey,
  Prefix,
  prefixRange,
  stateKey,
  txIndexKey,
  undoKey,
} from "../../../src/storage/schema.ts";

/** Byte-wise lexicographic comparison, as LevelDB orders keys. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const heightArb = fc.oneof(fc.nat({ max: 1_000_000 }), fc.maxSafeNat());
const hash = new Uint8Array(32).fill(7);

describe("the storage key schema", () => {
  it("orders canonical keys by height", () => {
    fc.assert(
      fc.property(heightArb, heightArb, (x, y) => {
        expect(Math.sign(compareBytes(canonicalKey(x), canonicalKey(y)))).toBe(Math.sign(x - y));
      }),
    );
  });

  it("gives every prefix a distinct byte", () => {
    const values = Object.values(Prefix);
    expect(new Set(values).size).toBe(values.length);
  });

  it("keeps clear of the RPC's sublevel prefix '!'", () => {
    expect(Object.values(Prefix) as number[]).not.toContain(0x21);
  });

  it.each([
    ["genesis", genesisKey(), Prefix.genesis],
    ["head", headKey(), Prefix.head],
    ["block", blockKey(hash), Prefix.block],
    ["meta", metaKey(hash), Prefix.meta],
    ["canonical", canonicalKey(42), Prefix.canonical],
    ["state", stateKey(Uint8Array.of(1, 2)), Prefix.state],
    ["undo", undoKey(hash), Prefix.undo],
    ["txIndex", txIndexKey(hash), Prefix.txIndex],
    ["engine", engineKey(Uint8Array.of(9)), Prefix.engine],
  ])("starts %s keys with their prefix", (_name, key, prefix) => {
    expect(key[0]).toBe(prefix);
  });

  it("puts every key of a prefix, and no other, inside that prefix's range", () => {
    const keys = [
      blockKey(hash),
      metaKey(hash),
      canonicalKey(2 ** 53 - 1),
      stateKey(new Uint8Array(21).fill(0xff)),
    ];
    const inside = (k: Uint8Array, p: number): boolean => {
      const r = prefixRange(p);
      return compareBytes(k, r.gte) >= 0 && compareBytes(k, r.lt) < 0;
    };
    const table = keys.map((k) => Object.values(Prefix).filter((p) => inside(k, p)));
    expect(table).toEqual([[Prefix.block], [Prefix.meta], [Prefix.canonical], [Prefix.state]]);
  });

  it("writes heights as 8 big-endian bytes after the prefix", () => {
    expect([...canonicalKey(0x0102)]).toEqual([Prefix.canonical, 0, 0, 0, 0, 0, 0, 1, 2]);
  });
});
