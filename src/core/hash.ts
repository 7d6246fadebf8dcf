/** SHA-256 helpers and the 32-byte Hash type used for every object id. */
import { createHash } from "node:crypto";
import { bytesToHex, hexToBytes as nobleHexToBytes } from "@noble/hashes/utils.js";
import { DecodeError } from "./errors.ts";

/** A 32-byte SHA-256 digest. */
export type Hash = Uint8Array;

export const HASH_SIZE = 32;
export const ZERO_HASH: Hash = new Uint8Array(32);

/** SHA-256 of the concatenation of the parts. */
export function sha256(...parts: Uint8Array[]): Hash {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Strict hex decoding (even length, [0-9a-f], optional 0x) with a typed error. */
export function fromHex(hex: string, what = "hex"): Uint8Array {
  const s = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new DecodeError("DECODE_BAD_VALUE", `${what}: not a hex string`);
  }
  return nobleHexToBytes(s.toLowerCase());
}

/** Parses a 32-byte hash from hex. */
export function hashFromHex(hex: string, what = "hash"): Hash {
  const b = fromHex(hex, what);
  if (b.length !== 32)
    throw new DecodeError("DECODE_BAD_VALUE", `${what}: expected 32 bytes, got ${b.length}`);
  return b;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
