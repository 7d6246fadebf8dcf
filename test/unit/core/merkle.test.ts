import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, type Hash, sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import { EMPTY_ROOT, MerkleAccumulator, merkleRoot } from "../../../src/core/merkle.ts";

const leaf = (x: Uint8Array): Hash => sha256(Uint8Array.of(0), x);
const node = (l: Hash, r: Hash): Hash => sha256(Uint8Array.of(1), l, r);

/** RFC 6962 §2.1 Merkle Tree Hash, written independently: split at the largest power of two below n. */
function referenceRoot(items: readonly Uint8Array[]): Hash {
  if (items.length === 0) return sha256();
  if (items.length === 1) return leaf(items[0]!);
  let k = 1;
  while (k * 2 < items.length) k *= 2;
  return node(referenceRoot(items.slice(0, k)), referenceRoot(items.slice(k)));
}

const itemsArb = fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 40 });

describe("merkleRoot structure", () => {
  const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(utf8) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];

  it("the empty root is SHA-256 of the empty string", () => {
    expect(toHex(merkleRoot([]))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(EMPTY_ROOT).toEqual(sha256());
  });

  it("one leaf is SHA-256(0x00 || x)", () => {
    expect(merkleRoot([a])).toEqual(sha256(concatBytes(Uint8Array.of(0), a)));
  });

  it("two leaves are SHA-256(0x01 || leaf || leaf)", () => {
    expect(merkleRoot([a, b])).toEqual(node(leaf(a), leaf(b)));
  });

  it("an odd node is promoted, not duplicated", () => {
    expect(merkleRoot([a, b, c])).toEqual(node(node(leaf(a), leaf(b)), leaf(c)));
    expect(merkleRoot([a, b, c, d, e])).toEqual(
      node(node(node(leaf(a), leaf(b)), node(leaf(c), leaf(d))), leaf(e)),
    );
    expect(merkleRoot([a, b, c])).not.toEqual(merkleRoot([a, b, c, c]));
    expect(merkleRoot([a, b, c, d, e])).not.toEqual(merkleRoot([a, b, c, d, e, e]));
  });

  it("a leaf never collides with an inner node (domain separation)", () => {
    const inner = concatBytes(leaf(a), leaf(b));
    expect(merkleRoot([inner])).not.toEqual(merkleRoot([a, b]));
    expect(merkleRoot([concatBytes(a, b)])).not.toEqual(merkleRoot([a, b]));
  });

  it("matches the RFC 6962 recursive definition for every size up to 40", () => {
    fc.assert(
      fc.property(itemsArb, (items) => {
        expect(toHex(merkleRoot(items))).toBe(toHex(referenceRoot(items)));
      }),
      { numRuns: 1000 },
    );
  });

  it("does not modify its input", () => {
    const items = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
    merkleRoot(items);
    expect(items).toEqual([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
  });
});

describe("merkleRoot distinguishes lists", () => {
  it("different lists give different roots", () => {
    fc.assert(
      fc.property(itemsArb, itemsArb, (x, y) => {
        const same = x.length === y.length && x.every((v, i) => toHex(v) === toHex(y[i]!));
        expect(toHex(merkleRoot(x)) === toHex(merkleRoot(y))).toBe(same);
      }),
      { numRuns: 1000 },
    );
  });

  it("reordering, dropping, duplicating or changing one item changes the root", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 8 }), {
          minLength: 2,
          maxLength: 20,
          selector: (v) => toHex(v),
        }),
        fc.nat(),
        (items, at) => {
          const root = toHex(merkleRoot(items));
          const i = at % items.length;
          const j = (i + 1) % items.length;
          const swapped = items.slice();
          [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
          const changed: Uint8Array[] = items.slice();
          changed[i] = concatBytes(items[i]!, Uint8Array.of(0));
          const variants = [
            swapped,
            items.filter((_, k) => k !== i),
            [...items.slice(0, i + 1), items[i]!, ...items.slice(i + 1)],
            changed,
          ];
          for (const v of variants) expect(toHex(merkleRoot(v))).not.toBe(root);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("MerkleAccumulator", () => {
  it("after every push, its root is merkleRoot of the items so far (and the RFC 6962 reference)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 70 }), (items) => {
        const acc = new MerkleAccumulator();
        expect(acc.root()).toEqual(EMPTY_ROOT);
        for (let i = 0; i < items.length; i++) {
          acc.push(items[i]!);
          const prefix = items.slice(0, i + 1);
          expect(acc.root()).toEqual(merkleRoot(prefix));
          expect(acc.root()).toEqual(referenceRoot(prefix));
        }
        expect(acc.size).toBe(items.length);
      }),
      { numRuns: 200 },
    );
  });

  it("agrees at sizes around powers of two up to 1,100 items", () => {
    const acc = new MerkleAccumulator();
    const items: Uint8Array[] = [];
    for (let n = 1; n <= 1100; n++) {
      const item = utf8(`tx-${n}`);
      items.push(item);
      acc.push(item);
      if ((n & (n - 1)) === 0 || ((n + 1) & n) === 0 || n % 97 === 0)
        expect(acc.root()).toEqual(merkleRoot(items));
    }
  });
});
