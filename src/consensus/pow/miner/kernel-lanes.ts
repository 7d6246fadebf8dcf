/**
 * The two instruction flavours the kernel generator emits: 4-lane i32x4 SIMD and plain i32. Both
 * expose the same small vocabulary so one generator writes the rounds for either.
 */
import { EMPTY_BLOCK, I32, i32Const, memarg, Op, SimdOp, simd, uleb, V128 } from "./wasm-module.ts";

/** Instruction bytes that leave one value on the stack (or none, for statements). */
export type Code = number[];

/** A value the rounds read: a local, or a per-template constant in a memory slot. */
export type Val = { local: number } | { slot: number };

/** The operations the round generator needs, for one value type. */
export interface Lane {
  readonly type: number;
  /** nonces per value */
  readonly width: number;
  load(slot: number): Code;
  read(v: Val): Code;
  add(a: Code, b: Code): Code;
  xor(a: Code, b: Code): Code;
  and(a: Code, b: Code): Code;
  ch(e: Val, f: Val, g: Val): Code;
  rotr(local: number, n: number): Code;
  shr(local: number, n: number): Code;
  /** all-ones (or 1) where a <= b unsigned */
  leU(a: Code, b: Code): Code;
  /** combines masks and opens an `if` taken when any lane is set */
  ifAny(masks: Code[]): Code;
  /** the nonces n + first .. n + first + width - 1 from the i32 local n */
  nonces(n: number, first: number): Code;
  store(addr: number, v: Code): Code;
}

const get = (l: number): Code => [Op.localGet, ...uleb(l)];

function readVal(load: (slot: number) => Code, v: Val): Code {
  return "local" in v ? get(v.local) : load(v.slot);
}

/** i32x4 lanes; slots are 16 bytes (the value splatted). */
export const simdLane: Lane = {
  type: V128,
  width: 4,
  load: (slot) => [...i32Const(0), ...simd(SimdOp.v128Load), ...memarg(4, slot * 16)],
  read(v) {
    return readVal(this.load, v);
  },
  add: (a, b) => [...a, ...b, ...simd(SimdOp.i32x4Add)],
  xor: (a, b) => [...a, ...b, ...simd(SimdOp.v128Xor)],
  and: (a, b) => [...a, ...b, ...simd(SimdOp.v128And)],
  ch(e, f, g) {
    const ef = this.and(this.read(e), this.read(f));
    return this.xor(ef, [...this.read(g), ...this.read(e), ...simd(SimdOp.v128AndNot)]);
  },
  rotr: (l, n) => [
    ...get(l),
    ...i32Const(n),
    ...simd(SimdOp.i32x4ShrU),
    ...get(l),
    ...i32Const(32 - n),
    ...simd(SimdOp.i32x4Shl),
    ...simd(SimdOp.v128Or),
  ],
  shr: (l, n) => [...get(l), ...i32Const(n), ...simd(SimdOp.i32x4ShrU)],
  leU: (a, b) => [...a, ...b, ...simd(SimdOp.i32x4LeU)],
  ifAny(masks) {
    let m = masks[0]!;
    for (const next of masks.slice(1)) m = [...m, ...next, ...simd(SimdOp.v128Or)];
    return [...m, ...simd(SimdOp.v128AnyTrue), Op.if, EMPTY_BLOCK];
  },
  nonces(n, first) {
    const iota = [0, 1, 2, 3].flatMap((i) => {
      const v = (first + i) >>> 0;
      return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    });
    return [
      ...get(n),
      ...simd(SimdOp.i32x4Splat),
      ...simd(SimdOp.v128Const),
      ...iota,
      ...simd(SimdOp.i32x4Add),
    ];
  },
  store: (addr, v) => [...i32Const(0), ...v, ...simd(SimdOp.v128Store), ...memarg(4, addr)],
};

/** Plain i32 values; `stride` is the module's slot size (4, or 16 inside the SIMD module). */
export function scalarLane(stride: number): Lane {
  return {
    type: I32,
    width: 1,
    load: (slot) => [...i32Const(0), Op.i32Load, ...memarg(2, slot * stride)],
    read(v) {
      return readVal(this.load, v);
    },
    add: (a, b) => [...a, ...b, Op.i32Add],
    xor: (a, b) => [...a, ...b, Op.i32Xor],
    and: (a, b) => [...a, ...b, Op.i32And],
    ch(e, f, g) {
      return this.xor(this.read(g), this.and(this.read(e), this.xor(this.read(f), this.read(g))));
    },
    rotr: (l, n) => [...get(l), ...i32Const(n), Op.i32Rotr],
    shr: (l, n) => [...get(l), ...i32Const(n), Op.i32ShrU],
    leU: (a, b) => [...a, ...b, Op.i32LeU],
    ifAny(masks) {
      let m = masks[0]!;
      for (const next of masks.slice(1)) m = [...m, ...next, Op.i32Or];
      return [...m, Op.if, EMPTY_BLOCK];
    },
    nonces: (n, first) => (first === 0 ? get(n) : [...get(n), ...i32Const(first), Op.i32Add]),
    store: (addr, v) => [...i32Const(0), ...v, Op.i32Store, ...memarg(2, addr)],
  };
}
