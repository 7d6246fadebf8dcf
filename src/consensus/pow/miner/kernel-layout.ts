/**
 * Where the kernel's per-template constants live in its linear memory, shared by the code
 * generator (which loads them) and the kernel wrapper (which writes them). Each slot holds one
 * 32-bit value repeated once per lane, so a SIMD load yields it already splatted.
 */
import { NONCE_WORD } from "../layout.ts";

/** Index of the final-block word that carries the nonce; rounds before it are precomputed. */
export const NW = NONCE_WORD;

/** Slot indices. */
export const Slot = {
  /** midstate words 0..7 (the feed-forward) */
  ms: 0,
  /** a at the start of rounds NW-2, NW-1, NW (b, c, d of round NW+1 and later) */
  a: 8,
  /** e at the start of rounds NW-2, NW-1, NW */
  e: 11,
  /** a[NW] ^ a[NW-1]: the b ^ c that round NW+1's Maj reuses */
  ab: 14,
  /** a[NW+1] - W[NW] and e[NW+1] - W[NW]: round NW with the nonce taken out */
  ca: 15,
  ce: 16,
  /** target word 0, for the early exit */
  target0: 17,
  /** per round t: K[t] + W[t] when W[t] is fixed per template, else K[t] */
  roundConst: 18,
  /** per round t >= 16 with a varying W[t]: the sum of the terms of W[t] fixed per template */
  scheduleConst: 18 + 64,
} as const;

/** Number of slots. */
export const SLOT_COUNT = Slot.scheduleConst + 64;
/** Byte address of the 8 target words (plain u32, used by the full comparison). */
export const TARGET_ADDR = 4096;
/** Byte address where `hashGroup` writes its output. */
export const OUT_ADDR = TARGET_ADDR + 64;

const VARYING: readonly boolean[] = (() => {
  const v: boolean[] = [];
  for (let t = 0; t < 64; t++) {
    v.push(t === NW || (t >= 16 && (v[t - 2]! || v[t - 7]! || v[t - 15]! || v[t - 16]!)));
  }
  return v;
})();

/** Whether W[t] depends on the nonce word (directly or through the schedule). */
export function varyingWord(t: number): boolean {
  return VARYING[t]!;
}
