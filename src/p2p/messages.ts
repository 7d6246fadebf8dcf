/**
 * Req/resp message encodings (canonical, big-endian, via core/encoding):
 *   Status          genesisHash 32 | headHash 32 | headHeight u64 | finalizedHeight u64
 *                   | finalizedHash 32 | weight u8-length-prefixed (<= 64 bytes), opaque: the
 *                   engine's fork-choice weight of the head, compared only by the engine
 *   BlocksByRange   startHeight u64 | count u16 (1..MAX_BLOCKS_PER_REQUEST)
 *   BlocksByHash    count u16 (1..MAX_BLOCKS_PER_REQUEST) | hash 32 * count
 *   Response chunk  code u8 | payload (OK: a status or a block encoding; errors: a UTF-8 message)
 */
import type { ChainStatus } from "../consensus/engine.ts";
import { Reader, Writer } from "../core/encoding.ts";
import type { Hash } from "../core/hash.ts";

/** Most bytes of the engine's opaque weight in a status. */
export const MAX_STATUS_WEIGHT = 64;
/** Most blocks one blocks_by_range or blocks_by_hash request may ask for. */
export const MAX_BLOCKS_PER_REQUEST = 64;
/** Largest encoded status. */
export const MAX_STATUS_SIZE = 32 + 32 + 8 + 8 + 32 + 1 + MAX_STATUS_WEIGHT;
/** Largest encoded block request (blocks_by_hash with the maximum count). */
export const MAX_BLOCK_REQUEST_SIZE = 2 + 32 * MAX_BLOCKS_PER_REQUEST;
/** Longest error message carried in a response chunk. */
export const MAX_ERROR_MESSAGE = 256;

/** Result codes of a response chunk. */
export const ResponseCode = { ok: 0, badRequest: 1, rateLimited: 2, serverError: 3 } as const;
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** What a node says about its chain in the status handshake: its genesis and its ChainStatus. */
export interface StatusMessage extends ChainStatus {
  genesisHash: Hash;
}

/** A request for canonical blocks by height. */
export interface RangeRequest {
  startHeight: number;
  count: number;
}

/** The canonical encoding of a status. */
export function encodeStatus(s: StatusMessage): Uint8Array {
  return new Writer(MAX_STATUS_SIZE)
    .fixed(s.genesisHash, 32)
    .fixed(s.headHash, 32)
    .uint(s.headHeight)
    .uint(s.finalized.height)
    .fixed(s.finalized.hash, 32)
    .varBytes(s.weight, 1, MAX_STATUS_WEIGHT)
    .finish();
}

/** Decodes a status; throws DecodeError on anything non-canonical. */
export function decodeStatus(bytes: Uint8Array): StatusMessage {
  const r = new Reader(bytes, "status");
  const genesisHash = r.fixed(32, "genesisHash");
  const headHash = r.fixed(32, "headHash");
  const headHeight = r.uint("headHeight");
  const finalizedHeight = r.uint("finalizedHeight");
  const finalizedHash = r.fixed(32, "finalizedHash");
  const weight = r.varBytes(1, MAX_STATUS_WEIGHT, "weight");
  r.end();
  if (finalizedHeight > headHeight) r.fail("finalized height is above the head");
  return {
    genesisHash,
    headHash,
    headHeight,
    finalized: { height: finalizedHeight, hash: finalizedHash },
    weight,
  };
}

/** Encodes a blocks_by_range request. */
export function encodeRangeRequest(req: RangeRequest): Uint8Array {
  return new Writer(10).uint(req.startHeight).u16(req.count).finish();
}

/** Decodes a blocks_by_range request; the count must be 1..MAX_BLOCKS_PER_REQUEST. */
export function decodeRangeRequest(bytes: Uint8Array): RangeRequest {
  const r = new Reader(bytes, "blocks_by_range request");
  const startHeight = r.uint("startHeight");
  const count = r.u16("count");
  if (count === 0 || count > MAX_BLOCKS_PER_REQUEST) {
    r.fail(`count ${count} is outside 1..${MAX_BLOCKS_PER_REQUEST}`, { got: count });
  }
  r.end();
  return { startHeight, count };
}

/** Encodes a blocks_by_hash request. */
export function encodeHashRequest(hashes: readonly Hash[]): Uint8Array {
  const w = new Writer(2 + 32 * hashes.length).u16(hashes.length);
  for (const h of hashes) w.fixed(h, 32);
  return w.finish();
}

/** Decodes a blocks_by_hash request of 1..MAX_BLOCKS_PER_REQUEST hashes. */
export function decodeHashRequest(bytes: Uint8Array): Hash[] {
  const r = new Reader(bytes, "blocks_by_hash request");
  const n = r.count(2, MAX_BLOCKS_PER_REQUEST, "count");
  if (n === 0) r.fail("empty hash list");
  const out: Hash[] = [];
  for (let i = 0; i < n; i++) out.push(r.fixed(32, "hash"));
  r.end();
  return out;
}

/** A response chunk: result code and payload. */
export function encodeChunk(code: ResponseCode, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length);
  out[0] = code;
  out.set(payload, 1);
  return out;
}

/** Splits a response chunk; unknown codes are reported as server errors. */
export function decodeChunk(chunk: Uint8Array): { code: number; payload: Uint8Array } {
  if (chunk.length === 0) return { code: ResponseCode.serverError, payload: chunk };
  return { code: chunk[0]!, payload: chunk.subarray(1) };
}
