/** PoW parameters from genesis.consensus.params, validated with one-line errors naming the field. */
import { U64_MAX } from "../../core/encoding.ts";
import type { Json } from "../../core/genesis.ts";
import { ConsensusError } from "../engine.ts";
import { compactToTarget, targetForHashes, targetToCompact } from "./difficulty.ts";

/** Validated PoW parameters. */
export interface PowParams {
  targetBlockTimeMs: number;
  /** ASERT half-life: how long a schedule deviation takes to halve or double the target. */
  halfLifeMs: number;
  /** Compact bits of the genesis target (the ASERT anchor). */
  initialBits: number;
  /** Compact bits of the easiest allowed target. */
  powLimitBits: number;
  blockReward: bigint;
  /** Blocks between reward halvings; 0 = never. */
  halvingInterval: number;
  maxFutureDriftMs: number;
}

/** Defaults for a dev chain: 2 s blocks, starting at about 2^20 hashes per block. */
export function defaultPowParams(targetBlockTimeMs = 2000): PowParams {
  return {
    targetBlockTimeMs,
    halfLifeMs: targetBlockTimeMs * 32,
    initialBits: targetToCompact(targetForHashes(1 << 20)),
    powLimitBits: 0x207fffff,
    blockReward: 50_0000_0000n,
    halvingInterval: 210_000,
    maxFutureDriftMs: 15_000,
  };
}

/** PoW parameters as genesis JSON. */
export function powParamsToJson(p: PowParams): Record<string, Json> {
  return {
    targetBlockTimeMs: p.targetBlockTimeMs,
    halfLifeMs: p.halfLifeMs,
    initialBits: `0x${p.initialBits.toString(16).padStart(8, "0")}`,
    powLimitBits: `0x${p.powLimitBits.toString(16).padStart(8, "0")}`,
    blockReward: p.blockReward.toString(),
    halvingInterval: p.halvingInterval,
    maxFutureDriftMs: p.maxFutureDriftMs,
  };
}

function fail(field: string, why: string): never {
  throw new ConsensusError("CONSENSUS_BAD_PARAMS", `genesis consensus.params.${field}: ${why}`, { field });
}

function int(v: Json | undefined, field: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    fail(field, `must be an integer in [${min}, ${max}]`);
  }
  return v;
}

function bits(v: Json | undefined, field: string): number {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{8}$/.test(v))
    fail(field, 'must be compact bits like "0x1f0fffff"');
  const b = Number.parseInt(v.slice(2), 16);
  const t = compactToTarget(b);
  if (t === null || t === 0n) fail(field, "encodes no valid target");
  if (targetToCompact(t) !== b) fail(field, "is not in canonical compact form");
  return b;
}

/** Parses and checks PoW params; throws ConsensusError CONSENSUS_BAD_PARAMS. */
export function parsePowParams(raw: Record<string, Json>): PowParams {
  const known = new Set(Object.keys(powParamsToJson(defaultPowParams())));
  for (const k of Object.keys(raw)) if (!known.has(k)) fail(k, "unknown parameter");
  const reward = raw.blockReward;
  if (typeof reward !== "string" || !/^(0|[1-9][0-9]*)$/.test(reward) || BigInt(reward) > U64_MAX) {
    fail("blockReward", "must be an integer string within u64");
  }
  const p: PowParams = {
    targetBlockTimeMs: int(raw.targetBlockTimeMs, "targetBlockTimeMs", 10, 86_400_000),
    halfLifeMs: int(raw.halfLifeMs, "halfLifeMs", 1000, 1e12),
    initialBits: bits(raw.initialBits, "initialBits"),
    powLimitBits: bits(raw.powLimitBits, "powLimitBits"),
    blockReward: BigInt(reward),
    halvingInterval: int(raw.halvingInterval, "halvingInterval", 0, 1e12),
    maxFutureDriftMs: int(raw.maxFutureDriftMs, "maxFutureDriftMs", 0, 86_400_000),
  };
  if (compactToTarget(p.initialBits)! > compactToTarget(p.powLimitBits)!)
    fail("initialBits", "is easier than powLimitBits");
  return p;
}

/** The coinbase reward at `height`: halving every `halvingInterval` blocks. */
export function blockReward(p: PowParams, height: number): bigint {
  if (p.halvingInterval === 0) return p.blockReward;
  const halvings = Math.floor(height / p.halvingInterval);
  return halvings >= 64 ? 0n : p.blockReward >> BigInt(halvings);
}

/** Knobs a genesis generator sets on a new PoW chain (CLI `genesis new`, testnets). */
export interface PowGenesisOptions {
  blockTimeMs: number;
  /** Expected hashes per block at genesis (the initial difficulty). */
  expectedHashesPerBlock?: number;
  blockReward?: bigint;
  /** ASERT half-life; a very long one keeps the difficulty fixed (attack experiments). */
  halfLifeMs?: number;
}

/** The genesis.consensus.params of a new PoW chain. */
export function powGenesisParams(o: PowGenesisOptions): Record<string, Json> {
  const params = defaultPowParams(o.blockTimeMs);
  if (o.expectedHashesPerBlock !== undefined) {
    params.initialBits = targetToCompact(targetForHashes(o.expectedHashesPerBlock));
  }
  if (o.blockReward !== undefined) params.blockReward = o.blockReward;
  if (o.halfLifeMs !== undefined) params.halfLifeMs = o.halfLifeMs;
  return powParamsToJson(params);
}
