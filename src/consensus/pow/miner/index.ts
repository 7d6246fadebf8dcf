/**
 * The PoW miner: a generated WebAssembly SHA-256 midstate kernel (i32x4 SIMD, scalar fallback)
 * and a pool of worker threads that splits the (extraNonce, nonce) space, preempts on a new
 * template within milliseconds and can be throttled to an exact hashrate. It imports core/ and
 * the PoW header layout only.
 */
export { MinerError, type MinerErrorCode } from "./errors.ts";
export { createInlineSealer, INLINE_MAX_HASHRATE, type InlineSealerOptions } from "./inline-sealer.ts";
export {
  createPowKernel,
  type KernelOptions,
  type PowKernel,
  simdSupported,
  targetToWords,
} from "./kernel.ts";
export {
  createMinerPool,
  type MineJob,
  type MineResult,
  type MinerPool,
  type MinerPoolOptions,
} from "./pool.ts";
export { createMinerSealer, createPoolSealer, minesInline } from "./pool-sealer.ts";
export { compress, type HeaderTemplate, splitHeader } from "./sha256.ts";
