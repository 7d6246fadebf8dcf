/**
 * The PoW engine's header fields and where they sit in the header encoding (see core/block.ts).
 * Engine fields (16 bytes): bits u32 | extraNonce u64 | nonce u32. With the 140-byte fixed header
 * prefix that puts, in a 156-byte header:
 *   128 timestamp (words 0-1 of the final SHA-256 block)
 *   136 engine length = 16 (word 2)
 *   140 bits (word 3)
 *   144 extraNonce (words 4-5)
 *   152 nonce (word 6)
 * Bytes 0..127 are two whole SHA-256 blocks: the midstate is computed once per template, and each
 * nonce costs one compression of the final block (28 message bytes + padding).
 */
import { Reader, Writer } from "../../core/encoding.ts";

export const POW_ENGINE_FIELDS_SIZE = 16;
export const POW_HEADER_SIZE = 156;
export const MIDSTATE_BYTES = 128;
export const TIMESTAMP_OFFSET = 128;
export const BITS_OFFSET = 140;
export const EXTRA_NONCE_OFFSET = 144;
export const NONCE_OFFSET = 152;
/** Index of the nonce among the 16 big-endian words of the final SHA-256 block. */
export const NONCE_WORD = (NONCE_OFFSET - MIDSTATE_BYTES) / 4;

/** The PoW engine's header fields. */
export interface PowFields {
  bits: number;
  extraNonce: bigint;
  nonce: number;
}

export function encodePowFields(f: PowFields): Uint8Array {
  return new Writer(POW_ENGINE_FIELDS_SIZE).u32(f.bits).u64(f.extraNonce).u32(f.nonce).finish();
}

/** Decodes the engine fields of a PoW header; throws DecodeError on any other length. */
export function decodePowFields(bytes: Uint8Array): PowFields {
  const r = new Reader(bytes, "pow fields");
  const f = { bits: r.u32("bits"), extraNonce: r.u64("extraNonce"), nonce: r.u32("nonce") };
  r.end();
  return f;
}
