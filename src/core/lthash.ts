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

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The XOF expansion of one (key, value) state entry. */
export function entryVector(key: Uint8Array, value: Uint8Array): Uint16Array {
  // One update of DOMAIN || u16be(key length) || key || value (the same bytes as four updates).
  const input = new Uint8Array(DOMAIN.length + 2 + key.length + value.length);
  input.set(DOMAIN);
  input[DOMAIN.length] = key.length >>> 8;
  input[DOMAIN.length + 1] = key.length & 0xff;
  input.set(key, DOMAIN.length + 2);
  input.set(value, DOMAIN.length + 2 + key.length);
  const out = createHash("shake256", { outputLength: LTHASH_BYTES }).update(input).digest();
  // Lanes are little-endian u16: on a little-endian machine the digest's bytes are the lanes
  // (a view, no copy, when the buffer is 2-aligned); otherwise each lane is assembled.
  if (LITTLE_ENDIAN && out.byteOffset % 2 === 0)
    return new Uint16Array(out.buffer, out.byteOffset, LTHASH_LANES);
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
