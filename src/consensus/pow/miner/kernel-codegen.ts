/**
 * Generates the mining kernel as WebAssembly bytes. The rounds before the nonce word are done
 * once per template in JS (see kernel.ts); the generated code starts at round NW, fully unrolled,
 * with every schedule term that does not depend on the nonce folded into per-template constants.
 * Several independent streams are interleaved round by round to hide instruction latency.
 *
 * Exports of the module: `search(start, count) -> offset | -1` (early exit on hash word 0),
 * `check(nonce) -> 0 | 1` (full hash against the full target), `hashGroup(start)` (full hashes
 * of one group to OUT_ADDR, for tests) and `memory`.
 */

import { type Code, type Lane, scalarLane, simdLane, type Val } from "./kernel-lanes.ts";
import { NW, OUT_ADDR, Slot, TARGET_ADDR, varyingWord } from "./kernel-layout.ts";
import { buildModule, EMPTY_BLOCK, type FuncDef, I32, i32Const, memarg, Op, uleb } from "./wasm-module.ts";

/** What to generate: SIMD or scalar, and how many interleaved streams of lanes. */
export interface KernelShape {
  simd: boolean;
  streams: number;
}

const get = (l: number): Code => [Op.localGet, ...uleb(l)];
const set = (l: number, v: Code): Code => [...v, Op.localSet, ...uleb(l)];

class Locals {
  readonly types: number[] = [];
  private readonly base: number;
  constructor(params: number) {
    this.base = params;
  }
  alloc(type: number): number {
    this.types.push(type);
    return this.base + this.types.length - 1;
  }
}

interface Stream {
  a: number[];
  e: number[];
  w: number[];
  ab: number[];
  t1: number;
  nv: number;
}

function newStream(locals: Locals, type: number, nv: number): Stream {
  const many = (n: number): number[] => Array.from({ length: n }, () => locals.alloc(type));
  return { a: many(4), e: many(4), w: many(16), ab: many(2), t1: locals.alloc(type), nv };
}

const aVal = (s: Stream, t: number): Val =>
  t > NW ? { local: s.a[t % 4]! } : { slot: Slot.a + t - (NW - 2) };
const eVal = (s: Stream, t: number): Val =>
  t > NW ? { local: s.e[t % 4]! } : { slot: Slot.e + t - (NW - 2) };
const wLocal = (s: Stream, t: number): number => (t === NW ? s.nv : s.w[t % 16]!);

/** a and e from round NW + 1 on depend on the nonce, so they always live in locals. */
function localOf(v: Val): number {
  if (!("local" in v)) throw new Error("kernel generator: expected a local");
  return v.local;
}

function bigSigma(lane: Lane, x: number, r: [number, number, number]): Code {
  return lane.xor(lane.xor(lane.rotr(x, r[0]), lane.rotr(x, r[1])), lane.rotr(x, r[2]));
}

function smallSigma(lane: Lane, x: number, r: [number, number, number]): Code {
  return lane.xor(lane.xor(lane.rotr(x, r[0]), lane.rotr(x, r[1])), lane.shr(x, r[2]));
}

/** W[t] for a nonce-dependent t >= 16: the varying terms plus their folded constant part. */
function emitSchedule(lane: Lane, s: Stream, t: number): Code {
  const terms: Code[] = [];
  let fixedPart = false;
  const term = (src: number, f: (l: number) => Code): void => {
    if (varyingWord(src)) terms.push(f(wLocal(s, src)));
    else fixedPart = true;
  };
  term(t - 2, (l) => smallSigma(lane, l, [17, 19, 10]));
  term(t - 7, get);
  term(t - 15, (l) => smallSigma(lane, l, [7, 18, 3]));
  term(t - 16, get);
  if (fixedPart) terms.push(lane.load(Slot.scheduleConst + t));
  return set(
    wLocal(s, t),
    terms.reduce((x, y) => lane.add(x, y)),
  );
}

function emitRound(lane: Lane, s: Stream, t: number, needE: boolean): Code {
  const [a, b, d] = [aVal(s, t), aVal(s, t - 1), aVal(s, t - 3)];
  const [e, f, g, h] = [eVal(s, t), eVal(s, t - 1), eVal(s, t - 2), eVal(s, t - 3)];
  const k = lane.load(Slot.roundConst + t);
  const wk = varyingWord(t) ? lane.add(get(wLocal(s, t)), k) : k;
  const out: Code[] = [];
  out.push(
    set(
      s.t1,
      lane.add(
        lane.add(bigSigma(lane, localOf(e), [6, 11, 25]), lane.ch(e, f, g)),
        lane.add(lane.read(h), wk),
      ),
    ),
  );
  if (needE) out.push(set(s.e[(t + 1) % 4]!, lane.add(lane.read(d), get(s.t1))));
  const bc = t === NW + 1 ? lane.load(Slot.ab) : get(s.ab[(t - 1) % 2]!);
  out.push(set(s.ab[t % 2]!, lane.xor(lane.read(a), lane.read(b))));
  const maj = lane.xor(lane.read(b), lane.and(get(s.ab[t % 2]!), bc));
  out.push(
    set(s.a[(t + 1) % 4]!, lane.add(get(s.t1), lane.add(bigSigma(lane, localOf(a), [2, 13, 22]), maj))),
  );
  return out.flat();
}

/**
 * Rounds NW..63 for every stream, interleaved round by round. Unless `full`, the last round
 * skips e (only hash word 0 is needed for the early exit).
 */
function emitCompression(lane: Lane, streams: Stream[], full: boolean): Code {
  const out: Code[] = [];
  for (const s of streams) {
    out.push(set(s.a[(NW + 1) % 4]!, lane.add(lane.load(Slot.ca), get(s.nv))));
    out.push(set(s.e[(NW + 1) % 4]!, lane.add(lane.load(Slot.ce), get(s.nv))));
  }
  for (let t = NW + 1; t < 64; t++) {
    for (const s of streams) {
      if (t >= 16 && varyingWord(t)) out.push(emitSchedule(lane, s, t));
      out.push(emitRound(lane, s, t, full || t < 63));
    }
  }
  return out.flat();
}

/** Hash word i (0..7) after the feed-forward. */
function hashWord(lane: Lane, s: Stream, i: number): Code {
  const v = i < 4 ? s.a[(64 - i) % 4]! : s.e[(64 - (i - 4)) % 4]!;
  return lane.add(lane.load(Slot.ms + i), get(v));
}

function checkFunc(lane: Lane): FuncDef {
  const locals = new Locals(1);
  const s = newStream(locals, lane.type, 0);
  const body: Code[] = [emitCompression(lane, [s], true)];
  const h = Array.from({ length: 8 }, () => locals.alloc(I32));
  for (let i = 0; i < 8; i++) body.push(set(h[i]!, hashWord(lane, s, i)));
  for (let i = 0; i < 8; i++) {
    const tw = [...i32Const(0), Op.i32Load, ...memarg(2, TARGET_ADDR + 4 * i)];
    body.push([...get(h[i]!), ...tw, Op.i32LtU, Op.if, EMPTY_BLOCK, ...i32Const(1), Op.return, Op.end]);
    body.push([...get(h[i]!), ...tw, Op.i32GtU, Op.if, EMPTY_BLOCK, ...i32Const(0), Op.return, Op.end]);
  }
  body.push(i32Const(1));
  return { name: "check", params: [I32], results: [I32], locals: locals.types, body: body.flat() };
}

function searchFunc(lane: Lane, streamCount: number, checkIndex: number): FuncDef {
  const [start, count] = [0, 1];
  const locals = new Locals(2);
  const n = locals.alloc(I32);
  const i = locals.alloc(I32);
  const group = lane.width * streamCount;
  const streams = Array.from({ length: streamCount }, () =>
    newStream(locals, lane.type, locals.alloc(lane.type)),
  );
  const body: Code[] = [set(n, get(start)), [Op.loop, EMPTY_BLOCK]];
  for (const [k, s] of streams.entries()) body.push(set(s.nv, lane.nonces(n, k * lane.width)));
  body.push(emitCompression(lane, streams, false));
  const masks = streams.map((s) => lane.leU(hashWord(lane, s, 0), lane.load(Slot.target0)));
  body.push(lane.ifAny(masks));
  // Rare: some lane passed the word-0 test; check the group's nonces in order with the full hash.
  body.push(set(i, i32Const(0)), [Op.loop, EMPTY_BLOCK]);
  body.push([...get(n), ...get(i), Op.i32Add, Op.call, ...uleb(checkIndex), Op.if, EMPTY_BLOCK]);
  body.push([...get(n), ...get(start), Op.i32Sub, ...get(i), Op.i32Add, Op.return, Op.end]);
  body.push([...get(i), ...i32Const(1), Op.i32Add, Op.localTee, ...uleb(i), ...i32Const(group), Op.i32LtU]);
  body.push([Op.brIf, 0, Op.end, Op.end]);
  body.push([...get(n), ...i32Const(group), Op.i32Add, Op.localTee, ...uleb(n), ...get(start), Op.i32Sub]);
  body.push([...get(count), Op.i32LtU, Op.brIf, 0, Op.end, ...i32Const(-1)]);
  return { name: "search", params: [I32, I32], results: [I32], locals: locals.types, body: body.flat() };
}

function hashGroupFunc(lane: Lane, streamCount: number): FuncDef {
  const locals = new Locals(1);
  const streams = Array.from({ length: streamCount }, () =>
    newStream(locals, lane.type, locals.alloc(lane.type)),
  );
  const body: Code[] = streams.map((s, k) => set(s.nv, lane.nonces(0, k * lane.width)));
  body.push(emitCompression(lane, streams, true));
  streams.forEach((s, k) => {
    for (let w = 0; w < 8; w++)
      body.push(lane.store(OUT_ADDR + (k * 8 + w) * lane.width * 4, hashWord(lane, s, w)));
  });
  return { name: "hashGroup", params: [I32], results: [], locals: locals.types, body: body.flat() };
}

/** The kernel module's bytes for a shape; the nonces of one `search` iteration are width * streams. */
export function generateKernel(shape: KernelShape): Uint8Array {
  const stride = shape.simd ? 16 : 4;
  const lane = shape.simd ? simdLane : scalarLane(stride);
  const funcs = [
    checkFunc(scalarLane(stride)),
    searchFunc(lane, shape.streams, 0),
    hashGroupFunc(lane, shape.streams),
  ];
  return buildModule(funcs, 1);
}

/** Nonces per `search` iteration for a shape. */
export function groupSize(shape: KernelShape): number {
  return (shape.simd ? 4 : 1) * shape.streams;
}
