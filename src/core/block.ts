/**
 * Headers and blocks.
 *
 * Header layout (big-endian). The first 128 bytes are fixed per block template, so a miner hashes
 * them once (the SHA-256 midstate) and rolls only fields in the final 64-byte block:
 *   0   version u32 (=1)
 *   4   height u64
 *   12  parentHash 32
 *   44  txRoot 32        Merkle root of the encoded transactions
 *   76  stateRoot 32     commitment to the state after this block
 *   108 beneficiary 20   address bytes that collect rewards and fees (zero in genesis)
 *   128 timestamp u64    unix milliseconds
 *   136 engine u32-length-prefixed (<= 256 bytes), defined by the consensus engine
 * A u32 length keeps engine fields 4-byte aligned (PoW puts its nonce at a word boundary).
 * The block hash is SHA-256 of the header encoding.
 *
 * Block: header | txCount u32 (<= MAX_BLOCK_TXS) | each tx u16-length-prefixed
 *        | engineBody u32-length-prefixed (<= MAX_ENGINE_BODY; an engine that uses it commits to it
 *        in its header fields).
 */
import { Reader, Writer } from "./encoding.ts";
import { DecodeError } from "./errors.ts";
import { type Hash, sha256 } from "./hash.ts";
import { encodeTx, MAX_TX_SIZE, readTx, type Tx } from "./tx.ts";

export const HEADER_VERSION = 1;
export const HEADER_FIXED_SIZE = 140;
export const MAX_ENGINE_FIELDS = 256;
export const MAX_HEADER_SIZE = HEADER_FIXED_SIZE + MAX_ENGINE_FIELDS;
export const MAX_BLOCK_TXS = 20_000;
export const MAX_ENGINE_BODY = 256 * 1024;
export const MAX_BLOCK_SIZE = 4 * 1024 * 1024;

/** A block header; `engine` holds the consensus engine's fields, opaque to everything else. */
export interface Header {
  version: number;
  height: number;
  parentHash: Hash;
  txRoot: Hash;
  stateRoot: Hash;
  beneficiary: Uint8Array;
  timestamp: number;
  engine: Uint8Array;
}

/** A block: header, transactions and the engine's body items. */
export interface Block {
  header: Header;
  txs: Tx[];
  engineBody: Uint8Array;
}

function writeHeader(w: Writer, h: Header): void {
  w.u32(h.version)
    .uint(h.height)
    .fixed(h.parentHash, 32)
    .fixed(h.txRoot, 32)
    .fixed(h.stateRoot, 32)
    .fixed(h.beneficiary, 20)
    .uint(h.timestamp)
    .varBytes(h.engine, 4, MAX_ENGINE_FIELDS);
}

export function encodeHeader(h: Header): Uint8Array {
  const w = new Writer(HEADER_FIXED_SIZE + h.engine.length);
  writeHeader(w, h);
  return w.finish();
}

function readHeader(r: Reader): Header {
  const version = r.u32("version");
  if (version !== HEADER_VERSION) r.fail(`unsupported version ${version}`, { got: version });
  return {
    version,
    height: r.uint("height"),
    parentHash: r.fixed(32, "parentHash"),
    txRoot: r.fixed(32, "txRoot"),
    stateRoot: r.fixed(32, "stateRoot"),
    beneficiary: r.fixed(20, "beneficiary"),
    timestamp: r.uint("timestamp"),
    engine: r.varBytes(4, MAX_ENGINE_FIELDS, "engine"),
  };
}

export function decodeHeader(bytes: Uint8Array): Header {
  if (bytes.length > MAX_HEADER_SIZE) throw new DecodeError("DECODE_TOO_LARGE", "header: too large");
  const r = new Reader(bytes, "header");
  const h = readHeader(r);
  r.end();
  return h;
}

/** The block hash: SHA-256 of the header encoding. */
export function headerHash(h: Header): Hash {
  return sha256(encodeHeader(h));
}

export function encodeBlock(b: Block): Uint8Array {
  const w = new Writer(HEADER_FIXED_SIZE + b.txs.length * 160 + 64);
  writeHeader(w, b.header);
  w.u32(b.txs.length);
  for (const tx of b.txs) w.varBytes(encodeTx(tx), 2, MAX_TX_SIZE);
  w.varBytes(b.engineBody, 4, MAX_ENGINE_BODY);
  return w.finish();
}

export function decodeBlock(bytes: Uint8Array): Block {
  if (bytes.length > MAX_BLOCK_SIZE) {
    throw new DecodeError("DECODE_TOO_LARGE", `block: ${bytes.length} bytes exceeds ${MAX_BLOCK_SIZE}`);
  }
  const r = new Reader(bytes, "block");
  const header = readHeader(r);
  const n = r.count(4, MAX_BLOCK_TXS, "txCount");
  const txs: Tx[] = [];
  for (let i = 0; i < n; i++) {
    const len = r.u16("txLength");
    const start = r.offset;
    const tx = readTx(r);
    if (r.offset - start !== len) r.fail(`tx ${i} length prefix ${len} does not match its encoding`);
    txs.push(tx);
  }
  const engineBody = r.varBytes(4, MAX_ENGINE_BODY, "engineBody");
  r.end();
  return { header, txs, engineBody };
}
