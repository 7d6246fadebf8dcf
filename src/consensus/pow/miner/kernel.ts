/**
 * The mining kernel: the generated wasm module plus its per-template setup. `setTemplate` runs
 * the rounds before the nonce word in JS and writes every nonce-independent constant into the
 * module's memory; `search` then hashes nonces with no allocation and no calls back into JS.
 */

import { generateKernel, groupSize, type KernelShape } from "./kernel-codegen.ts";
import { NW, OUT_ADDR, Slot, TARGET_ADDR, varyingWord } from "./kernel-layout.ts";
import { bigSigma0, bigSigma1, K256, runRounds, smallSigma0, smallSigma1 } from "./sha256.ts";
import { buildModule, I32, i32Const, SimdOp, simd } from "./wasm-module.ts";

/** A compiled kernel with its own memory; one template at a time. */
export interface PowKernel {
  /** true when the i32x4 SIMD kernel runs, false for the scalar fallback */
  readonly simd: boolean;
  /** nonces per kernel iteration; counts are rounded up to a multiple of it */
  readonly groupSize: number;
  /** hashes computed by the last `search` */
  readonly lastHashes: number;
  /** Loads a template: midstate (8 words), final block (16 words, nonce word ignored), target (8 BE words). */
  setTemplate(midstate: ArrayLike<number>, block: ArrayLike<number>, target: ArrayLike<number>): void;
  /**
   * The first nonce in [start, start + count) (mod 2^32) whose hash <= target, or -1. The kernel
   * hashes whole groups, so `lastHashes` may exceed `count` by less than `groupSize`.
   */
  search(start: number, count: number): number;
  /** Full hashes of the `groupSize` nonces from `start` into `out` (8 words per nonce), for tests. */
  hashGroup(start: number, out: Uint32Array): void;
}

/** Kernel options: force the scalar fallback, or change the interleave. */
export interface KernelOptions {
  simd?: boolean;
  streams?: number;
}

interface KernelExports {
  memory: { buffer: ArrayBuffer };
  search(start: number, count: number): number;
  hashGroup(start: number): void;
}

/** The slice of the WebAssembly JS API the kernel uses (the project's TS lib has no wasm types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const wasm = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const MAX_COUNT = 2 ** 31;

/** Whether this runtime validates WebAssembly SIMD (i32x4). */
export function simdSupported(): boolean {
  const probe = [...i32Const(0), ...simd(SimdOp.i32x4Splat), ...simd(SimdOp.v128AnyTrue)];
  const bytes = buildModule([{ name: "probe", params: [], results: [I32], locals: [], body: probe }], 1);
  return wasm().validate(bytes);
}

/** The 8 big-endian words of a 256-bit target. */
export function targetToWords(target: bigint): Uint32Array {
  if (target < 0n || target >= 1n << 256n) throw new RangeError("target must be in [0, 2^256)");
  const words = new Uint32Array(8);
  for (let i = 0; i < 8; i++) words[i] = Number((target >> BigInt(224 - 32 * i)) & 0xffffffffn);
  return words;
}

/** Compiles and instantiates a kernel (SIMD when supported unless `simd: false`). */
export function createPowKernel(options: KernelOptions = {}): PowKernel {
  const useSimd = options.simd ?? simdSupported();
  const shape: KernelShape = { simd: useSimd, streams: options.streams ?? 1 };
  const api = wasm();
  const ex = new api.Instance(new api.Module(generateKernel(shape)), {}).exports as KernelExports;
  const mem = new Uint32Array(ex.memory.buffer);
  const width = useSimd ? 4 : 1;
  const group = groupSize(shape);
  const w = new Uint32Array(64);
  const st = new Uint32Array(8);
  let lastHashes = 0;

  const put = (slot: number, value: number): void => {
    mem.fill(value >>> 0, slot * width, slot * width + width);
  };

  return {
    simd: useSimd,
    groupSize: group,
    get lastHashes() {
      return lastHashes;
    },
    setTemplate(midstate, block, target) {
      for (let i = 0; i < 16; i++) w[i] = block[i]!;
      w[NW] = 0;
      for (let i = 0; i < 8; i++) put(Slot.ms + i, midstate[i]!);
      runRounds(midstate, w, NW, st);
      const [a, b, c, d, e, f, g, h] = st as unknown as number[];
      put(Slot.a, c!);
      put(Slot.a + 1, b!);
      put(Slot.a + 2, a!);
      put(Slot.e, g!);
      put(Slot.e + 1, f!);
      put(Slot.e + 2, e!);
      put(Slot.ab, a! ^ b!);
      const t1 = h! + bigSigma1(e!) + ((e! & f!) ^ (~e! & g!)) + K256[NW]!;
      const t2 = bigSigma0(a!) + ((a! & b!) ^ (a! & c!) ^ (b! & c!));
      put(Slot.ca, t1 + t2);
      put(Slot.ce, d! + t1);
      for (let t = 16; t < 64; t++) {
        let fixed = 0;
        if (!varyingWord(t - 2)) fixed += smallSigma1(w[t - 2]!);
        if (!varyingWord(t - 7)) fixed += w[t - 7]!;
        if (!varyingWord(t - 15)) fixed += smallSigma0(w[t - 15]!);
        if (!varyingWord(t - 16)) fixed += w[t - 16]!;
        w[t] = fixed;
        put(Slot.scheduleConst + t, fixed);
      }
      for (let t = NW + 1; t < 64; t++) put(Slot.roundConst + t, K256[t]! + (varyingWord(t) ? 0 : w[t]!));
      put(Slot.target0, target[0]!);
      for (let i = 0; i < 8; i++) mem[TARGET_ADDR / 4 + i] = target[i]!;
    },
    search(start, count) {
      if (!(count > 0 && count <= MAX_COUNT)) throw new RangeError(`count must be in (0, 2^31]`);
      const n = Math.ceil(count / group) * group;
      const r = ex.search(start | 0, n | 0);
      if (r < 0) {
        lastHashes = n;
        return -1;
      }
      lastHashes = (Math.floor(r / group) + 1) * group;
      return r < count ? (start + r) >>> 0 : -1;
    },
    hashGroup(start, out) {
      ex.hashGroup(start | 0);
      const base = OUT_ADDR / 4;
      for (let k = 0; k < group / width; k++) {
        for (let l = 0; l < width; l++) {
          for (let i = 0; i < 8; i++) out[(k * width + l) * 8 + i] = mem[base + (k * 8 + i) * width + l]!;
        }
      }
    },
  };
}
