/**
 * The PoW engine metadata of a block: its cumulative work as a minimal big-endian unsigned integer
 * (empty for zero, no leading zero byte, at most 64 bytes). The same bytes are the fork-choice
 * weight in the status message.
 */
import { ConsensusError } from "../engine.ts";

/** Encodes cumulative work. */
export function encodeWork(work: bigint): Uint8Array {
  if (work < 0n) throw new RangeError("work must not be negative");
  if (work === 0n) return new Uint8Array(0);
  const hex = work.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex"));
}

/** Decodes cumulative work; throws BLOCK_BAD_ENGINE_FIELDS for non-canonical bytes. */
export function decodeWork(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  if (bytes.length > 64 || bytes[0] === 0) {
    throw new ConsensusError("BLOCK_BAD_ENGINE_FIELDS", "cumulative work is not a canonical integer");
  }
  return BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}
