/**
 * The layout of one validator key's protection DB (LevelDB, byte keys):
 *   m                                   -> genesis_validators_root(32) + pubkey bytes
 *   b + slot(u64 BE)                    -> signing root record
 *   t + target(u64 BE) + source(u64 BE) -> signing root record
 *   s + source(u64 BE) + target(u64 BE) -> (empty; the source-ordered index of the t records)
 * A signing root record is 0x00 (unknown) or 0x01 + root(32). Big-endian epochs make iteration
 * order epoch order, so the low watermarks are the first key of a prefix.
 */
import { ProtectionError } from "./errors.ts";

export const META_KEY = Uint8Array.of(0x6d);
export const BLOCK = 0x62;
export const TARGET = 0x74;
export const SOURCE = 0x73;

/** A prefix byte followed by big-endian u64s. */
export function recordKey(prefix: number, ...values: bigint[]): Uint8Array {
  const key = new Uint8Array(1 + 8 * values.length);
  const view = new DataView(key.buffer);
  key[0] = prefix;
  for (const [i, v] of values.entries()) view.setBigUint64(1 + 8 * i, v);
  return key;
}

/** The u64 at position `i` after a key's prefix byte. */
export function keyU64(key: Uint8Array, i: number): bigint {
  if (key.length < 9 + 8 * i) throw new ProtectionError("PROTECTION_CORRUPT", "protection key is truncated");
  return new DataView(key.buffer, key.byteOffset).getBigUint64(1 + 8 * i);
}

/** A signing root record: unknown or a known root. */
export function encodeRoot(root: Uint8Array | undefined): Uint8Array {
  if (root === undefined) return Uint8Array.of(0);
  const v = new Uint8Array(33);
  v[0] = 1;
  v.set(root, 1);
  return v;
}

export function decodeRoot(value: Uint8Array): Uint8Array | undefined {
  if (value.length === 1 && value[0] === 0) return undefined;
  if (value.length === 33 && value[0] === 1) return value.slice(1);
  throw new ProtectionError("PROTECTION_CORRUPT", "protection record has a bad signing root");
}

/** Two records merged: a root both agree on, else unknown (any later signing there is refused). */
export function mergeRoots(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(b) ? a : undefined;
}
