import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../../src/core/hash.ts";
import {
  generateKeyPair,
  publicKeyOf,
  sign,
  signReference,
  verify,
  verifyReference,
} from "../../../src/crypto/ed25519.ts";
import { readVectors } from "../../helpers/vectors.ts";

interface Vector {
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}

const vectors: Vector[] = readVectors<{ vectors: Vector[] }>("ed25519-rfc8032.json").vectors;

const secretKeyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messageArb = fc.uint8Array({ maxLength: 256 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
  return out;
}

describe("ed25519 RFC 8032 vectors", () => {
  it("has the three vectors", () => {
    expect(vectors.length).toBe(3);
  });

  for (const [i, v] of vectors.entries()) {
    const sk = fromHex(v.secretKey);
    const pk = fromHex(v.publicKey);
    const msg = fromHex(v.message);

    it(`TEST ${i + 1}: derives the public key`, () => {
      expect(toHex(publicKeyOf(sk))).toBe(v.publicKey);
    });

    it(`TEST ${i + 1}: node:crypto and noble both produce the vector signature`, () => {
      expect(toHex(sign(msg, sk))).toBe(v.signature);
      expect(toHex(signReference(msg, sk))).toBe(v.signature);
    });

    it(`TEST ${i + 1}: both verifiers accept the vector signature`, () => {
      const sig = fromHex(v.signature);
      expect(verify(sig, msg, pk)).toBe(true);
      expect(verifyReference(sig, msg, pk)).toBe(true);
    });
  }
});

describe("ed25519 node:crypto vs noble", () => {
  it("each verifies the other's signatures and both sign identically", () => {
    fc.assert(
      fc.property(secretKeyArb, messageArb, (sk, msg) => {
        const pk = publicKeyOf(sk);
        const fast = sign(msg, sk);
        const ref = signReference(msg, sk);
        expect(toHex(fast)).toBe(toHex(ref));
        expect(verify(ref, msg, pk)).toBe(true);
        expect(verifyReference(fast, msg, pk)).toBe(true);
      }),
      { numRuns: 200 },
    );
  }, 30_000); // noble is the slow reference side; leave headroom on a loaded CI machine

  it("tampered signature, message or key fails on both", () => {
    fc.assert(
      fc.property(secretKeyArb, messageArb, fc.nat(), (sk, msg, bit) => {
        const pk = publicKeyOf(sk);
        const sig = sign(msg, sk);
        const badSig = flipBit(sig, bit % 512);
        expect(verify(badSig, msg, pk)).toBe(false);
        expect(verifyReference(badSig, msg, pk)).toBe(false);
        const badMsg = msg.length === 0 ? Uint8Array.of(bit & 0xff) : flipBit(msg, bit % (msg.length * 8));
        expect(verify(sig, badMsg, pk)).toBe(false);
        expect(verifyReference(sig, badMsg, pk)).toBe(false);
        const badPk = flipBit(pk, bit % 256);
        expect(verify(sig, msg, badPk)).toBe(false);
        expect(verifyReference(sig, msg, badPk)).toBe(false);
      }),
      { numRuns: 200 },
    );
  }, 30_000); // noble is the slow reference side; leave headroom on a loaded CI machine

  it("a signature by another key fails on both", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const msg = Uint8Array.of(1, 2, 3);
    const sig = sign(msg, a.secretKey);
    expect(verify(sig, msg, b.publicKey)).toBe(false);
    expect(verifyReference(sig, msg, b.publicKey)).toBe(false);
  });

  it("rejects a non-canonical S (S + L) on both", () => {
    const v = vectors[0]!;
    const sig = fromHex(v.signature);
    // S is little-endian in bytes 32..63; adding the group order L keeps the point equation but is malleable.
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    let t = s + L;
    const bad = sig.slice();
    for (let i = 32; i < 64; i++) {
      bad[i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(verify(bad, fromHex(v.message), fromHex(v.publicKey))).toBe(false);
    expect(verifyReference(bad, fromHex(v.message), fromHex(v.publicKey))).toBe(false);
  });
});

describe("ed25519 wrong lengths", () => {
  const { secretKey, publicKey } = generateKeyPair();
  const msg = Uint8Array.of(42);
  const sig = sign(msg, secretKey);
  const lengths = [0, 1, 31, 33, 63, 65, 128];

  for (const n of lengths) {
    it(`returns false without throwing for a ${n}-byte signature or key`, () => {
      const badSig = new Uint8Array(n).fill(7);
      if (n > 0) badSig.set(sig.subarray(0, Math.min(n, 64)));
      expect(verify(badSig, msg, publicKey)).toBe(false);
      expect(verifyReference(badSig, msg, publicKey)).toBe(false);
      const badPk = new Uint8Array(n);
      if (n > 0) badPk.set(publicKey.subarray(0, Math.min(n, 32)));
      expect(verify(sig, msg, badPk)).toBe(false);
      expect(verifyReference(sig, msg, badPk)).toBe(false);
    });
  }

  it("returns false for a public key that is not a curve point", () => {
    // y = 2 is not the y-coordinate of any point on edwards25519.
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2;
    expect(verify(sig, msg, notAPoint)).toBe(false);
    expect(verifyReference(sig, msg, notAPoint)).toBe(false);
  });

  it("sign refuses a secret key of the wrong length", () => {
    expect(() => sign(msg, new Uint8Array(31))).toThrow(RangeError);
  });
});
