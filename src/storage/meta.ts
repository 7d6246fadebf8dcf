/** Encoding of the per-block meta record: status, cumulative weight and the header. */
import { decodeHeader, encodeHeader, type Header } from "../core/block.ts";
import { Reader, Writer } from "../core/encoding.ts";
import { BlockStatus } from "./schema.ts";

/** What the meta record stores about a known block. */
export interface StoredMeta {
  status: BlockStatus;
  weight: bigint;
  header: Header;
}

function bigToBytes(v: bigint): Uint8Array {
  const hex = v === 0n ? "" : v.toString(16);
  const padded = hex.length % 2 ? `0${hex}` : hex;
  return Uint8Array.from(Buffer.from(padded, "hex"));
}

export function encodeMeta(m: StoredMeta): Uint8Array {
  const header = encodeHeader(m.header);
  return new Writer(80 + header.length)
    .u8(m.status)
    .varBytes(bigToBytes(m.weight), 1, 64)
    .raw(header)
    .finish();
}

export function decodeMeta(bytes: Uint8Array): StoredMeta {
  const r = new Reader(bytes, "meta");
  const status = r.u8("status");
  if (status > BlockStatus.invalid) r.fail(`bad status ${status}`);
  const w = r.varBytes(1, 64, "weight");
  if (w.length > 0 && w[0] === 0) r.fail("weight has a leading zero");
  const weight = w.length === 0 ? 0n : BigInt(`0x${Buffer.from(w).toString("hex")}`);
  const header = decodeHeader(r.fixed(r.remaining, "header"));
  return { status: status as BlockStatus, weight, header };
}
