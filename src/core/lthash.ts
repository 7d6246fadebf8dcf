/**
 * LtHash16 (Bellare-Micciancio lattice hash as deployed by Facebook): a homomorphic multiset hash.
 * Each element maps to 1024 u16 lanes through SHAKE256; the set's hash is the lane-wise sum mod 2^16.
 * Adding or removing one state entry costs one XOF and one vector add, so the state root is updated
 * per changed key instead of rehashing the whole state.
 */
import { createHash } from "node:crypto";
import { type Hash, sha256 } from "./hash.ts";

export const LTHASH_LANES = 1024;
export const LTHASH_BYTES = LTHASH_LANES * 2;
const DOMAIN = new TextEncoder().encode("chainlab/state/v1");

/** The XOF expansion of one (key, value) state entry. */
export function entryVector(key: Uint8Array, value: Uint8Array): Uint16Array {
  const h = createHash("shake256", { outputLength: LTHASH_BYTES });
  const len = new Uint8Array(2);
  new DataView(len.buffer).setUint16(0, key.length);
  h.update(DOMAIN).update(len).update(key).update(value);
  const out = h.digest();
  // Lanes are little-endian u16; copy into an aligned buffer.
  const lanes = new Uint16Array(LTHASH_LANES);
  for (let i = 0; i < LTHASH_LANES; i++) lanes[i] = out[2 * i]! | (out[2 * i + 1]! << 8);
  return lanes;
}

/** A mutable LtHash16 accumulator. */
export class LtHash {
  readonly lanes: Uint16Array;

  constructor(lanes?: Uint16Array) {
    this.lanes = lanes ? new Uint16Array(lanes) : new Uint16Array(LTHASH_LANES);
  }

  static fromBytes(bytes: Uint8Array): LtHash {
    if (bytes.length !== LTHASH_BYTES) throw new RangeError("lthash: wrong length");
    const lanes = new Uint16Array(LTHASH_LANES);
    for (let i = 0; i < LTHASH_LANES; i++) lanes[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    return new LtHash(lanes);
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(LTHASH_BYTES);
    for (let i = 0; i < LTHASH_LANES; i++) {
      const v = this.lanes[i]!;
      out[2 * i] = v & 0xff;
      out[2 * i + 1] = v >>> 8;
    }
    return out;
  }

  clone(): LtHash {
    return new LtHash(this.lanes);
  }

  add(key: Uint8Array, value: Uint8Array): void {
    const v = entryVector(key, value);
    const l = this.lanes;
    for (let i = 0; i < LTHASH_LANES; i++) l[i] = l[i]! + v[i]!;
  }

  remove(key: Uint8Array, value: Uint8Array): void {
    const v = entryVector(key, value);
    const l = this.lanes;
    for (let i = 0; i < LTHASH_LANES; i++) l[i] = l[i]! - v[i]!;
  }

  /** The 32-byte state root: SHA-256 of the lanes. */
  root(): Hash {
    return sha256(this.toBytes());
  }
}
