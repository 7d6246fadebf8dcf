import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../../src/core/errors.ts";
import { fromHex, toHex } from "../../../src/core/hash.ts";
import { LtHash } from "../../../src/core/lthash.ts";
import {
  invertChanges,
  MemoryState,
  type StateChange,
  StateOverlay,
  updateLtHash,
} from "../../../src/core/state.ts";
import { decodeUndo, encodeUndo } from "../../../src/core/undo.ts";
import { hexify } from "./codec-helpers.ts";

const maybeBytes = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined });
const changeArb: fc.Arbitrary<StateChange> = fc.record({
  key: fc.uint8Array({ minLength: 1, maxLength: 255 }),
  prior: maybeBytes,
  value: maybeBytes,
});

const stateArb = fc.dictionary(
  fc.uint8Array({ minLength: 1, maxLength: 21 }).map(toHex),
  fc.uint8Array({ maxLength: 16 }),
  { maxKeys: 10 },
);
const writeArb = fc.record({
  key: fc.oneof(fc.nat({ max: 20 }), fc.uint8Array({ minLength: 1, maxLength: 21 }).map(toHex)),
  value: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
});

/** A state, its accumulator, and the changes of one block of random writes on it. */
const blockArb = fc.tuple(stateArb, fc.array(writeArb, { maxLength: 10 })).map(([initial, writes]) => {
  const state = new MemoryState();
  const acc = new LtHash();
  for (const [k, v] of Object.entries(initial)) {
    state.set(fromHex(k), v);
    acc.add(fromHex(k), v);
  }
  const keys = Object.keys(initial);
  const overlay = new StateOverlay(state);
  for (const w of writes) {
    const k = fromHex(typeof w.key === "number" ? (keys[w.key % Math.max(keys.length, 1)] ?? "01") : w.key);
    if (w.value === undefined) overlay.delete(k);
    else overlay.put(k, w.value);
  }
  return { state, acc, changes: overlay.changes() };
});

function snapshot(state: MemoryState): [string, string][] {
  return [...state.entries()].map(([k, v]): [string, string] => [k, toHex(v)]).sort();
}

describe("undo data", () => {
  it("decode(encode(changes)) equals the changes", () => {
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 8 }), (changes) => {
        expect(hexify(decodeUndo(encodeUndo(changes)))).toEqual(hexify(changes));
      }),
    );
  });

  it("distinguishes an absent value from an empty one", () => {
    const changes: StateChange[] = [{ key: Uint8Array.of(1), prior: undefined, value: new Uint8Array(0) }];
    expect(decodeUndo(encodeUndo(changes))[0]).toEqual(changes[0]);
  });

  it("the decoder returns canonical input or throws DecodeError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let decoded: StateChange[];
        try {
          decoded = decodeUndo(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          return;
        }
        expect(toHex(encodeUndo(decoded))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it("rejects a presence flag other than 0 or 1", () => {
    const bytes = encodeUndo([{ key: Uint8Array.of(7), prior: undefined, value: undefined }]);
    bytes[bytes.length - 2] = 2;
    expect(() => decodeUndo(bytes)).toThrow(DecodeError);
  });

  it("rejects trailing bytes", () => {
    const bytes = encodeUndo([]);
    expect(() => decodeUndo(new Uint8Array([...bytes, 0]))).toThrow(DecodeError);
  });
});

describe("applying changes and then their inverse", () => {
  it("restores every state entry", () => {
    fc.assert(
      fc.property(blockArb, ({ state, changes }) => {
        const before = snapshot(state);
        state.apply(changes);
        state.apply(invertChanges(changes));
        expect(snapshot(state)).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it("restores the accumulator when rolled back with the stored undo data", () => {
    fc.assert(
      fc.property(blockArb, ({ acc, changes }) => {
        const before = toHex(acc.root());
        updateLtHash(acc, changes);
        updateLtHash(acc, decodeUndo(encodeUndo(changes)), true);
        expect(toHex(acc.root())).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  it("rolling back equals applying the inverted change list forward", () => {
    fc.assert(
      fc.property(blockArb, ({ acc, changes }) => {
        updateLtHash(acc, changes);
        const backward = acc.clone();
        updateLtHash(backward, changes, true);
        updateLtHash(acc, invertChanges(changes));
        expect(toHex(backward.root())).toBe(toHex(acc.root()));
      }),
      { numRuns: 50 },
    );
  });

  it("an overlay reports no change for a key written back to its prior value", () => {
    const state = new MemoryState();
    state.set(Uint8Array.of(1), Uint8Array.of(9));
    const overlay = new StateOverlay(state);
    overlay.put(Uint8Array.of(1), Uint8Array.of(5));
    overlay.put(Uint8Array.of(1), Uint8Array.of(9));
    overlay.put(Uint8Array.of(2), Uint8Array.of(1));
    overlay.delete(Uint8Array.of(2));
    expect(overlay.changes()).toEqual([]);
  });
});
