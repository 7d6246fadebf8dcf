/**
 * A minimal WebAssembly binary writer: LEB128, the opcodes the kernel uses, and a module builder
 * with one exported memory and exported functions. Just enough for the generated kernel; nothing
 * is read from disk.
 */

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** Plain opcodes (one byte). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotr: 0x78,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const SimdOp = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i32x4Splat: 0x11,
  i32x4LeU: 0x3e,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128AnyTrue: 0x53,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;

/** Block type of a block, loop or if without results. */
export const EMPTY_BLOCK = 0x40;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (the value is taken modulo 2^32). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** `i32.const n`. */
export const i32Const = (n: number): number[] => [Op.i32Const, ...sleb(n)];
/** A SIMD instruction. */
export const simd = (op: number): number[] => [0xfd, ...uleb(op)];
/** A memory argument: alignment exponent and offset. */
export const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];

/** One function of a module: its signature, extra locals and body (without the final `end`). */
export interface FuncDef {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  body: number[];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: number[][]): number[] {
  const out = uleb(items.length);
  for (const item of items) for (const b of item) out.push(b);
  return out;
}

function encodeLocals(locals: number[]): number[] {
  const groups: number[][] = [];
  let i = 0;
  while (i < locals.length) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    groups.push([...uleb(j - i), locals[i]!]);
    i = j;
  }
  return vec(groups);
}

function encodeName(name: string): number[] {
  const bytes = [...new TextEncoder().encode(name)];
  return [...uleb(bytes.length), ...bytes];
}

/** Builds a module exporting `memory` (`pages` of 64 KiB) and every function under its name. */
export function buildModule(funcs: FuncDef[], pages: number): Uint8Array {
  const types = section(
    1,
    vec(funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))])),
  );
  const fnSection = section(3, vec(funcs.map((_, i) => uleb(i))));
  const memory = section(5, vec([[0x00, ...uleb(pages)]]));
  const exports = section(
    7,
    vec([
      [...encodeName("memory"), 0x02, 0x00],
      ...funcs.map((f, i) => [...encodeName(f.name), 0x00, ...uleb(i)]),
    ]),
  );
  const code = section(
    10,
    vec(
      funcs.map((f) => {
        const body = [...encodeLocals(f.locals), ...f.body, Op.end];
        return [...uleb(body.length), ...body];
      }),
    ),
  );
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return Uint8Array.from([...header, ...types, ...fnSection, ...memory, ...exports, ...code]);
}
