/**
 * Plain JS SHA-256 pieces the miner needs outside the wasm kernel: the round constants, the
 * compression function (used for the midstate and the per-template precomputation), and the split
 * of a PoW header into midstate plus final-block words.
 */
import { MIDSTATE_BYTES, POW_HEADER_SIZE } from "../layout.ts";

/** The 64 SHA-256 round constants (FIPS 180-4 §4.2.2). */
// biome-ignore format: an 8-column table
export const K256: readonly number[] = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const K_INT = Int32Array.from(K256);

/** The SHA-256 initial hash value (FIPS 180-4 §5.3.3). */
// biome-ignore format: one row
export const IV256: readonly number[] = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
/** Σ0 of the round function. */
export const bigSigma0 = (x: number): number => rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
/** Σ1 of the round function. */
export const bigSigma1 = (x: number): number => rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
/** σ0 of the message schedule. */
export const smallSigma0 = (x: number): number => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
/** σ1 of the message schedule. */
export const smallSigma1 = (x: number): number => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10);

/** Word arrays the JS compression works on (Int32Array keeps values small integers in V8). */
export type Words = Int32Array | Uint32Array;

/** Expands 16 block words into the 64-word message schedule (in place in `w`, length >= 64). */
export function expandSchedule(w: Words): void {
  // Rotations are written out: this loop is also the bench:pow "plain JS midstate" baseline.
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (s1 + w[t - 7]! + s0 + w[t - 16]!) | 0;
  }
}

/**
 * Runs rounds [0, rounds) of the compression over the schedule `w` starting from `state`, and
 * writes the working variables a..h into `out`. With rounds = 64 and a feed-forward this is the
 * full compression; the kernel's per-template setup stops early.
 */
export function runRounds(state: ArrayLike<number>, w: Words, rounds: number, out: Words): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let t = 0; t < rounds; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K_INT[t]! + w[t]!) | 0;
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = d;
  out[4] = e;
  out[5] = f;
  out[6] = g;
  out[7] = h;
}

/** One SHA-256 compression: `state` (8 words) absorbs the 16-word `block`; returns the new state. */
export function compress(state: ArrayLike<number>, block: ArrayLike<number>): Uint32Array {
  const w = new Uint32Array(64);
  for (let i = 0; i < 16; i++) w[i] = block[i]!;
  expandSchedule(w);
  const out = new Uint32Array(8);
  runRounds(state, w, 64, out);
  for (let i = 0; i < 8; i++) out[i] = (out[i]! + state[i]!) | 0;
  return out;
}

/** Reads 16 big-endian words from `bytes` at `offset`. */
export function readBlockWords(bytes: Uint8Array, offset: number): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 64);
  const words = new Uint32Array(16);
  for (let i = 0; i < 16; i++) words[i] = view.getUint32(i * 4);
  return words;
}

/** Pads a message whose length is below 2^32 bytes into whole SHA-256 blocks of big-endian words. */
export function padMessage(message: Uint8Array): Uint32Array[] {
  const blocks = Math.ceil((message.length + 9) / 64);
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(message);
  bytes[message.length] = 0x80;
  new DataView(bytes.buffer).setUint32(bytes.length - 4, message.length * 8);
  const out: Uint32Array[] = [];
  for (let i = 0; i < blocks; i++) out.push(readBlockWords(bytes, i * 64));
  return out;
}

/** A PoW header split for the kernel: the state after bytes 0..127 and the padded final block. */
export interface HeaderTemplate {
  midstate: Uint32Array;
  block: Uint32Array;
}

/** Splits a 156-byte PoW header into its midstate and final padded block (nonce word as encoded). */
export function splitHeader(header: Uint8Array): HeaderTemplate {
  if (header.length !== POW_HEADER_SIZE) throw new RangeError(`header must be ${POW_HEADER_SIZE} bytes`);
  const blocks = padMessage(header);
  let state: ArrayLike<number> = IV256;
  for (let i = 0; i < MIDSTATE_BYTES / 64; i++) state = compress(state, blocks[i]!);
  return { midstate: Uint32Array.from(state), block: blocks[MIDSTATE_BYTES / 64]! };
}
