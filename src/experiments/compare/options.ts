/** The options of `chainlab compare`: defaults, the --quick sizes, and their bounds (hostile input). */
import { ExperimentError } from "../errors.ts";

/** What a comparison runs: the same shape and load on both testnets. */
export interface CompareOptions {
  /** Blocks measured on each testnet (after start-up). */
  blocks: number;
  nodes: number;
  /** Target transfers per second of the load (runLoad). */
  load: number;
  /** Block interval of both chains: the PoW target and the PoS slot (ms). */
  blockMs: number;
  /** PoW: total throttled hashrate of all miners (hashes/s). */
  hashrate: number;
  /** PoS: slots per epoch. */
  epochSlots: number;
  /** Prefunded accounts the load sends from. */
  accounts: number;
  seed: number;
  quick: boolean;
}

/** Inclusive bounds of each numeric option, by its flag name. */
export const COMPARE_LIMITS = {
  blocks: [4, 10_000],
  nodes: [2, 16],
  load: [1, 2000],
  "block-ms": [200, 60_000],
  hashrate: [1000, 100_000_000],
  "epoch-slots": [2, 64],
  accounts: [1, 1000],
  seed: [0, 2 ** 32 - 1],
} as const satisfies Record<string, readonly [number, number]>;

/** The defaults: a few minutes on 2 cores. */
export const COMPARE_DEFAULTS = {
  blocks: 60,
  nodes: 4,
  load: 20,
  blockMs: 1000,
  hashrate: 400_000,
  epochSlots: 8,
  accounts: 16,
} as const;

/** --quick: a tiny run for tests (short epochs, so PoS finalizes within the run). */
export const COMPARE_QUICK = {
  blocks: 10,
  nodes: 3,
  load: 10,
  blockMs: 1000,
  hashrate: 200_000,
  epochSlots: 4,
  accounts: 8,
} as const;

function check(flag: keyof typeof COMPARE_LIMITS, v: number): number {
  const [min, max] = COMPARE_LIMITS[flag];
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new ExperimentError(
      "EXPERIMENT_BAD_PARAM",
      `--${flag} must be an integer in [${min}, ${max}], got ${v}`,
      {
        param: flag,
      },
    );
  }
  return v;
}

/** The options given, completed from the defaults (or the quick sizes) and checked. */
export function resolveCompareOptions(given: Partial<CompareOptions>): CompareOptions {
  const quick = given.quick === true;
  const base = quick ? COMPARE_QUICK : COMPARE_DEFAULTS;
  return {
    blocks: check("blocks", given.blocks ?? base.blocks),
    nodes: check("nodes", given.nodes ?? base.nodes),
    load: check("load", given.load ?? base.load),
    blockMs: check("block-ms", given.blockMs ?? base.blockMs),
    hashrate: check("hashrate", given.hashrate ?? base.hashrate),
    epochSlots: check("epoch-slots", given.epochSlots ?? base.epochSlots),
    accounts: check("accounts", given.accounts ?? base.accounts),
    seed: check("seed", given.seed ?? Date.now() % 2 ** 31),
    quick,
  };
}
