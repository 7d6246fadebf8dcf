/**
 * PoW difficulty: Bitcoin's compact "bits" encoding of the target, the work a target represents,
 * and ASERT (aserti3-2d, as adopted by Bitcoin Cash in 2020) anchored at genesis.
 *
 * ASERT sets each block's target from the anchor's target and how far the chain is ahead of or
 * behind schedule: target = anchorTarget * 2^((elapsed - T * blocks) / halfLife). It is per-block,
 * stateless (one multiplication, no window), and a hashrate step of x10 or /10 is absorbed within a
 * few half-lives. The fractional power of two is the same cubic fixed-point approximation as BCH.
 */

export const TWO_256 = 1n << 256n;

/** The target encoded by compact bits; null when the encoding is negative or overflows 256 bits. */
export function compactToTarget(bits: number): bigint | null {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if ((bits & 0x00800000) !== 0 && mantissa !== 0) return null;
  const target =
    exponent <= 3
      ? BigInt(mantissa) >> BigInt(8 * (3 - exponent))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target >= TWO_256) return null;
  return target;
}

/** The canonical compact bits of a target (rounded down to 3 significant bytes). */
export function targetToCompact(target: bigint): number {
  if (target <= 0n) return 0;
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (mantissa & 0x00800000) {
    mantissa >>>= 8;
    size++;
  }
  return ((size << 24) | mantissa) >>> 0;
}

/** Expected hashes to find a block at this target: 2^256 / (target + 1). */
export function workForTarget(target: bigint): bigint {
  return TWO_256 / (target + 1n);
}

/** A target that takes about `hashes` attempts per block on average. */
export function targetForHashes(hashes: number): bigint {
  return TWO_256 / BigInt(Math.max(1, Math.round(hashes))) - 1n;
}

/** Inputs of the ASERT computation for the block after `parent`. */
export interface AsertInput {
  anchorTarget: bigint;
  anchorTimestamp: number;
  anchorHeight: number;
  parentTimestamp: number;
  parentHeight: number;
  targetBlockTimeMs: number;
  halfLifeMs: number;
  powLimit: bigint;
}

/** The ASERT target of the next block, clamped to [1, powLimit]. */
export function asertTarget(i: AsertInput): bigint {
  const timeDelta = BigInt(i.parentTimestamp - i.anchorTimestamp);
  const heightDelta = BigInt(i.parentHeight - i.anchorHeight);
  const exponent = ((timeDelta - BigInt(i.targetBlockTimeMs) * heightDelta) * 65536n) / BigInt(i.halfLifeMs);
  const shifts = exponent >> 16n;
  // factor >= 2^16, so next >= 2^shifts: from 2^256 up it is above any powLimit. Clamp before
  // shifting: a genesis decades old with a short half-life asks for 2^(10^9), beyond BigInt's range.
  if (shifts >= 256n) return i.powLimit;
  const frac = exponent - (shifts << 16n);
  const factor =
    65536n +
    ((195766423245049n * frac + 971821376n * frac * frac + 5127n * frac * frac * frac + (1n << 47n)) >> 48n);
  let next = i.anchorTarget * factor;
  next = shifts < 0n ? next >> -shifts : next << shifts;
  next >>= 16n;
  if (next <= 0n) return 1n;
  if (next > i.powLimit) return i.powLimit;
  return next;
}
