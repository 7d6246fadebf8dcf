/**
 * Canonical binary encoding primitives: fixed-width big-endian integers, fixed-size byte strings and
 * length-prefixed byte strings and lists with hard maximums. The Reader throws only DecodeError, and
 * every object decoder calls `end()` so that trailing bytes are rejected.
 */
import { DecodeError } from "./errors.ts";

export const U64_MAX = (1n << 64n) - 1n;

/** Throws instead of letting DataView wrap an out-of-range value into a different, valid encoding. */
function checkUint(v: number, bits: 8 | 16 | 32): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new RangeError(`u${bits} out of range: ${v}`);
}

/** Growable byte buffer with big-endian writers. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    checkUint(v, 8);
    this.reserve(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    checkUint(v, 16);
    this.reserve(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    checkUint(v, 32);
    this.reserve(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new RangeError(`u64 out of range: ${v}`);
    this.reserve(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** A safe integer (height, timestamp) as u64. */
  uint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a non-negative safe integer: ${v}`);
    return this.u64(BigInt(v));
  }

  /** Fixed-size bytes: the length is part of the layout, not written. */
  fixed(bytes: Uint8Array, size: number): this {
    if (bytes.length !== size) throw new RangeError(`expected ${size} bytes, got ${bytes.length}`);
    this.reserve(size);
    this.buf.set(bytes, this.pos);
    this.pos += size;
    return this;
  }

  /** Raw bytes with no prefix (an already-encoded object). */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Bytes with a big-endian length prefix of `prefixBytes` (1, 2 or 4). */
  varBytes(bytes: Uint8Array, prefixBytes: 1 | 2 | 4, max: number): this {
    if (bytes.length > max) throw new RangeError(`byte string of ${bytes.length} exceeds ${max}`);
    if (prefixBytes === 1) this.u8(bytes.length);
    else if (prefixBytes === 2) this.u16(bytes.length);
    else this.u32(bytes.length);
    return this.raw(bytes);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Cursor over bytes; every read is bounds-checked and throws DecodeError. */
export class Reader {
  private readonly bytes: Uint8Array;
  private readonly what: string;
  private readonly view: DataView;
  private pos = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.what = what;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.pos + n > this.bytes.length) {
      throw new DecodeError("DECODE_TRUNCATED", `${this.what}: truncated reading ${field}`, {
        offset: this.pos,
        need: n,
        have: this.bytes.length - this.pos,
      });
    }
  }

  u8(field: string): number {
    this.need(1, field);
    const v = this.view.getUint8(this.pos);
    this.pos += 1;
    return v;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A u64 that must fit in a JS safe integer (heights, timestamps). */
  uint(field: string): number {
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DecodeError("DECODE_BAD_VALUE", `${this.what}: ${field} exceeds 2^53-1`, { field });
    }
    return Number(v);
  }

  fixed(size: number, field: string): Uint8Array {
    this.need(size, field);
    const out = this.bytes.slice(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }

  varBytes(prefixBytes: 1 | 2 | 4, max: number, field: string): Uint8Array {
    const len = prefixBytes === 1 ? this.u8(field) : prefixBytes === 2 ? this.u16(field) : this.u32(field);
    if (len > max) {
      throw new DecodeError("DECODE_TOO_LARGE", `${this.what}: ${field} length ${len} exceeds ${max}`, {
        field,
        got: len,
        max,
      });
    }
    return this.fixed(len, field);
  }

  /** A list count that must not exceed `max`. */
  count(prefixBytes: 2 | 4, max: number, field: string): number {
    const n = prefixBytes === 2 ? this.u16(field) : this.u32(field);
    if (n > max) {
      throw new DecodeError("DECODE_TOO_LARGE", `${this.what}: ${field} count ${n} exceeds ${max}`, {
        field,
        got: n,
        max,
      });
    }
    return n;
  }

  /** Rejects trailing bytes: the canonical encoding has none. */
  end(): void {
    if (this.pos !== this.bytes.length) {
      throw new DecodeError(
        "DECODE_TRAILING_BYTES",
        `${this.what}: ${this.bytes.length - this.pos} trailing bytes`,
        {
          trailing: this.bytes.length - this.pos,
        },
      );
    }
  }

  fail(message: string, data: Record<string, unknown> = {}): never {
    throw new DecodeError("DECODE_BAD_VALUE", `${this.what}: ${message}`, data);
  }
}
