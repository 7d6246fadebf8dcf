/**
 * Encoding of the per-block meta record: status, the engine's opaque metadata and the header.
 * Layout: status u8 | engineMeta u8-length-prefixed (<= 255 bytes) | header encoding. PoW's
 * metadata (minimal big-endian cumulative work) has the layout the old `weight` field had, so
 * data dirs written before the engine seam open unchanged.
 */
import { decodeHeader, encodeHeader, type Header } from "../core/block.ts";
import { Reader, Writer } from "../core/encoding.ts";
import { BlockStatus } from "./schema.ts";

/** Most bytes of engine metadata per block. */
export const MAX_ENGINE_META = 255;

/** What the meta record stores about a known block. */
export interface StoredMeta {
  status: BlockStatus;
  engineMeta: Uint8Array;
  header: Header;
}

export function encodeMeta(m: StoredMeta): Uint8Array {
  const header = encodeHeader(m.header);
  return new Writer(2 + m.engineMeta.length + header.length)
    .u8(m.status)
    .varBytes(m.engineMeta, 1, MAX_ENGINE_META)
    .raw(header)
    .finish();
}

export function decodeMeta(bytes: Uint8Array): StoredMeta {
  const r = new Reader(bytes, "meta");
  const status = r.u8("status");
  if (status > BlockStatus.invalid) r.fail(`bad status ${status}`);
  const engineMeta = r.varBytes(1, MAX_ENGINE_META, "engineMeta");
  const header = decodeHeader(r.fixed(r.remaining, "header"));
  return { status: status as BlockStatus, engineMeta, header };
}
