import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { NONCE_OFFSET, NONCE_WORD } from "../../../../../src/consensus/pow/layout.ts";
import {
  createPowKernel,
  type PowKernel,
  simdSupported,
  targetToWords,
} from "../../../../../src/consensus/pow/miner/kernel.ts";
import { compress, IV256, padMessage, splitHeader } from "../../../../../src/consensus/pow/miner/sha256.ts";
import { readVectors } from "../../../../helpers/vectors.ts";

const MAX_TARGET = (1n << 256n) - 1n;
const vectors = readVectors<{
  vectors: { message: string; sha256: string }[];
}>("sha256-fips180.json");

const hex = (words: ArrayLike<number>): string =>
  Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, "0")).join("");

const digestOf = (header: Uint8Array): Buffer => createHash("sha256").update(header).digest();

const toBigInt = (hash: Uint8Array): bigint => BigInt(`0x${Buffer.from(hash).toString("hex")}`);

/** The kernel's full hash of `nonce` (taken from its group). */
function kernelHash(k: PowKernel, nonce: number, out: Uint32Array): Uint32Array {
  k.hashGroup(nonce, out);
  return out.subarray(0, 8);
}

const kernels: [string, PowKernel][] = [
  ["simd", createPowKernel({ simd: true })],
  ["scalar", createPowKernel({ simd: false })],
  ["simd, 2 interleaved streams", createPowKernel({ simd: true, streams: 2 })],
  ["scalar, 3 interleaved streams", createPowKernel({ simd: false, streams: 3 })],
];

describe("sha256 pieces", () => {
  it("the runtime has wasm SIMD (the fast path is what we test)", () => {
    expect(simdSupported()).toBe(true);
    expect(kernels[0]![1].simd).toBe(true);
    expect(kernels[1]![1].simd).toBe(false);
    expect(kernels.map(([, k]) => k.groupSize)).toEqual([4, 1, 8, 3]);
  });

  it.each(vectors.vectors)("JS compression matches FIPS 180 vector %#", (v) => {
    let state: ArrayLike<number> = IV256;
    for (const block of padMessage(new TextEncoder().encode(v.message))) state = compress(state, block);
    expect(hex(state)).toBe(v.sha256);
  });

  it.each(kernels)("%s kernel: the final compression matches the FIPS 180 vectors", (_, k) => {
    const out = new Uint32Array(k.groupSize * 8);
    for (const v of vectors.vectors) {
      const blocks = padMessage(new TextEncoder().encode(v.message));
      let state: ArrayLike<number> = IV256;
      for (const block of blocks.slice(0, -1)) state = compress(state, block);
      const last = blocks.at(-1)!;
      k.setTemplate(state, last, targetToWords(MAX_TARGET));
      expect(hex(kernelHash(k, last[NONCE_WORD]!, out))).toBe(v.sha256);
    }
  });

  it("splitHeader's midstate and final block reproduce SHA-256 of the header", () => {
    const header = randomBytes(156);
    const { midstate, block } = splitHeader(header);
    expect(Buffer.from(hex(compress(midstate, block)), "hex")).toEqual(digestOf(header));
  });
});

describe("kernel against node:crypto", () => {
  it("SIMD kernel equals createHash('sha256') on 1,048,576 random headers", () => {
    const k = kernels[0]![1];
    const templates = 8192;
    const perTemplate = 128;
    const out = new Uint32Array(k.groupSize * 8);
    const maxTarget = targetToWords(MAX_TARGET);
    let mismatches = 0;
    let checked = 0;
    for (let t = 0; t < templates; t++) {
      const header = randomBytes(156);
      const { midstate, block } = splitHeader(header);
      k.setTemplate(midstate, block, maxTarget);
      const start = randomBytes(4).readUInt32BE(0);
      for (let g = 0; g < perTemplate; g += k.groupSize) {
        const first = (start + g) >>> 0;
        k.hashGroup(first, out);
        for (let j = 0; j < k.groupSize; j++) {
          header.writeUInt32BE((first + j) >>> 0, NONCE_OFFSET);
          const d = digestOf(header);
          for (let w = 0; w < 8; w++) if (d.readUInt32BE(w * 4) !== out[j * 8 + w]) mismatches++;
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(1_000_000);
    expect(mismatches).toBe(0);
  }, 30_000);

  /** Full hashes of nonces start .. start + n - 1, 8 words each. */
  function hashRange(k: PowKernel, start: number, n: number): Uint32Array {
    const groups = Math.ceil(n / k.groupSize);
    const out = new Uint32Array(groups * k.groupSize * 8);
    for (let g = 0; g < groups; g++) {
      k.hashGroup((start + g * k.groupSize) >>> 0, out.subarray(g * k.groupSize * 8));
    }
    return out.subarray(0, n * 8);
  }

  it.each(kernels.slice(1))("%s equals the SIMD kernel, hash for hash", (_, other) => {
    const simd = kernels[0]![1];
    const target = targetToWords(MAX_TARGET);
    let mismatches = 0;
    for (let t = 0; t < 512; t++) {
      const { midstate, block } = splitHeader(randomBytes(156));
      simd.setTemplate(midstate, block, target);
      other.setTemplate(midstate, block, target);
      const start = randomBytes(4).readUInt32BE(0);
      const [a, b] = [hashRange(simd, start, 64), hashRange(other, start, 64)];
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});

describe("kernel search", () => {
  /** Brute force over createHash: the first offset in [0, n) whose hash <= target. */
  function firstBelow(header: Buffer, start: number, n: number, target: bigint): number {
    for (let i = 0; i < n; i++) {
      header.writeUInt32BE((start + i) >>> 0, NONCE_OFFSET);
      if (toBigInt(digestOf(header)) <= target) return i;
    }
    return -1;
  }

  function hashesOf(header: Buffer, start: number, n: number): bigint[] {
    return Array.from({ length: n }, (_, i) => {
      header.writeUInt32BE((start + i) >>> 0, NONCE_OFFSET);
      return toBigInt(digestOf(header));
    });
  }

  it.each(kernels)("%s: returns the first nonce at or below random targets", (_, k) => {
    for (let t = 0; t < 40; t++) {
      const header = randomBytes(156);
      const { midstate, block } = splitHeader(header);
      const target = toBigInt(randomBytes(32)) >> BigInt(6 + (t % 6));
      const start = (0xffffffff - 100 + t * 7) >>> 0; // some ranges wrap past 2^32
      k.setTemplate(midstate, block, targetToWords(target));
      const expected = firstBelow(header, start, 4096, target);
      const got = k.search(start, 4096);
      expect(got).toBe(expected < 0 ? -1 : (start + expected) >>> 0);
      const groups = expected < 0 ? Math.ceil(4096 / k.groupSize) : Math.ceil((expected + 1) / k.groupSize);
      expect(k.lastHashes).toBe(groups * k.groupSize);
    }
  });

  it.each(kernels)("%s: targets equal to a hash, where word 0 ties and later words decide", (_, k) => {
    for (let t = 0; t < 20; t++) {
      const header = randomBytes(156);
      const { midstate, block } = splitHeader(header);
      const start = randomBytes(4).readUInt32BE(0);
      const hashes = hashesOf(header, start, 512);
      const best = hashes.reduce((m, h, i) => (h < hashes[m]! ? i : m), 0);
      const low = hashes[best]!;
      k.setTemplate(midstate, block, targetToWords(low));
      expect(k.search(start, 512)).toBe((start + best) >>> 0);
      k.setTemplate(midstate, block, targetToWords(low - 1n));
      expect(k.search(start, 512)).toBe(-1);
      // same word 0 as the best hash, lower word 1: word 0 passes the early exit, the full check fails
      const tie = (low >> 224n) << 224n;
      const expected = low === tie ? best : -1;
      k.setTemplate(midstate, block, targetToWords(tie));
      expect(k.search(start, 512)).toBe(expected < 0 ? -1 : (start + expected) >>> 0);
    }
  });

  it("finds nothing with target 0 and counts every hash", () => {
    const k = kernels[0]![1];
    const { midstate, block } = splitHeader(randomBytes(156));
    k.setTemplate(midstate, block, targetToWords(0n));
    expect(k.search(0, 100_000)).toBe(-1);
    expect(k.lastHashes).toBe(100_000);
  });
});
