import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import { entryVector, LTHASH_BYTES, LTHASH_LANES, LtHash } from "../../../src/core/lthash.ts";
import { MemoryState, StateOverlay, updateLtHash } from "../../../src/core/state.ts";

/** A state as hex key -> value bytes (distinct keys, as in a real state). */
const stateArb = fc.dictionary(
  fc.uint8Array({ minLength: 1, maxLength: 24 }).map(toHex),
  fc.uint8Array({ minLength: 0, maxLength: 24 }),
  { maxKeys: 12 },
);

/** One write to a state: set a key (possibly an existing one) or delete it. */
const writeArb = fc.record({
  key: fc.oneof(fc.nat({ max: 20 }), fc.uint8Array({ minLength: 1, maxLength: 24 }).map(toHex)),
  value: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: undefined }),
});

function hashOf(entries: Iterable<[string, Uint8Array]>): string {
  const acc = new LtHash();
  for (const [k, v] of entries) acc.add(fromHex(k), v);
  return toHex(acc.root());
}

function memoryStateOf(entries: Record<string, Uint8Array>): MemoryState {
  const s = new MemoryState();
  for (const [k, v] of Object.entries(entries)) s.set(fromHex(k), v);
  return s;
}

describe("LtHash", () => {
  it("the empty set's root is SHA-256 of all-zero lanes", () => {
    expect(toHex(new LtHash().root())).toBe(toHex(sha256(new Uint8Array(LTHASH_BYTES))));
  });

  it("expands an entry to the same 1024 lanes every time", () => {
    const lanes = (): number[] => [...entryVector(utf8("key"), utf8("value"))];
    expect(lanes()).toEqual(lanes());
    expect(lanes()).toHaveLength(LTHASH_LANES);
  });

  it("is independent of an arbitrary permutation of the entries", () => {
    fc.assert(
      fc.property(
        stateArb.chain((s) => {
          const entries = Object.entries(s);
          return fc.tuple(
            fc.constant(entries),
            fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }),
          );
        }),
        ([entries, permuted]) => {
          expect(hashOf(permuted)).toBe(hashOf(entries));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("remove undoes add, whatever else the set holds", () => {
    fc.assert(
      fc.property(stateArb, fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.uint8Array(), (s, k, v) => {
        const acc = new LtHash();
        for (const [key, value] of Object.entries(s)) acc.add(fromHex(key), value);
        const before = toHex(acc.toBytes());
        acc.add(k, v);
        acc.remove(k, v);
        expect(toHex(acc.toBytes())).toBe(before);
      }),
      { numRuns: 50 },
    );
  });

  it("maintained incrementally through overlays equals the hash computed from scratch", () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.array(fc.array(writeArb, { maxLength: 8 }), { maxLength: 4 }),
        (initial, blocks) => {
          const state = memoryStateOf(initial);
          const acc = new LtHash();
          for (const [k, v] of state.entries()) acc.add(fromHex(k), v);
          const known = Object.keys(initial);
          for (const writes of blocks) {
            const overlay = new StateOverlay(state);
            for (const w of writes) {
              const keyHex =
                typeof w.key === "number" ? (known[w.key % Math.max(known.length, 1)] ?? "aa") : w.key;
              if (w.value === undefined) overlay.delete(fromHex(keyHex));
              else overlay.put(fromHex(keyHex), w.value);
            }
            const changes = overlay.changes();
            updateLtHash(acc, changes);
            state.apply(changes);
          }
          expect(toHex(acc.root())).toBe(hashOf(state.entries()));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("changes its root when any single value changes", () => {
    fc.assert(
      fc.property(
        stateArb.filter((s) => Object.keys(s).length > 0),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (s, which, at, mask) => {
          const entries = Object.entries(s);
          const i = which % entries.length;
          const value = entries[i]![1];
          const changed = value.length === 0 ? Uint8Array.of(mask) : value.slice();
          if (value.length > 0) changed[at % value.length]! ^= mask;
          const mutated = entries.map(([k, v], j): [string, Uint8Array] => [k, j === i ? changed : v]);
          expect(hashOf(mutated)).not.toBe(hashOf(entries));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("changes its root when an entry is added", () => {
    fc.assert(
      fc.property(stateArb, fc.uint8Array({ minLength: 1, maxLength: 24 }), (s, extraKey) => {
        const key = `ff${toHex(extraKey)}`;
        fc.pre(!(key in s));
        expect(hashOf([...Object.entries(s), [key, new Uint8Array(0)]])).not.toBe(hashOf(Object.entries(s)));
      }),
      { numRuns: 50 },
    );
  });

  it("separates key from value: moving a byte across the boundary changes the entry", () => {
    const a = new LtHash();
    a.add(utf8("ab"), utf8("c"));
    const b = new LtHash();
    b.add(utf8("a"), utf8("bc"));
    expect(toHex(a.root())).not.toBe(toHex(b.root()));
  });

  it("counts an entry added twice twice (a multiset, not a set)", () => {
    const once = new LtHash();
    once.add(utf8("k"), utf8("v"));
    const twice = once.clone();
    twice.add(utf8("k"), utf8("v"));
    expect(toHex(twice.root())).not.toBe(toHex(once.root()));
  });

  it("toBytes and fromBytes round-trip the accumulator", () => {
    fc.assert(
      fc.property(stateArb, (s) => {
        const acc = new LtHash();
        for (const [k, v] of Object.entries(s)) acc.add(fromHex(k), v);
        expect(toHex(LtHash.fromBytes(acc.toBytes()).toBytes())).toBe(toHex(acc.toBytes()));
      }),
      { numRuns: 30 },
    );
  });

  it("fromBytes rejects a buffer of the wrong length", () => {
    expect(() => LtHash.fromBytes(new Uint8Array(LTHASH_BYTES - 1))).toThrow(RangeError);
  });

  it("clone is independent of the original", () => {
    const acc = new LtHash();
    const copy = acc.clone();
    copy.add(utf8("k"), utf8("v"));
    expect(toHex(acc.root())).toBe(toHex(new LtHash().root()));
  });
});
