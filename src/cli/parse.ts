/** Parsers for command-line values; each throws CliError with a one-line message. */
import { U64_MAX } from "../core/encoding.ts";
import { AddressError, decodeAddress } from "../crypto/address.ts";
import { CliError } from "./errors.ts";

/** A non-negative base-unit amount (u64). */
export function parseAmount(value: string, name = "amount"): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(value))
    throw new CliError(`--${name} must be a non-negative integer, got "${value}"`);
  const v = BigInt(value);
  if (v > U64_MAX) throw new CliError(`--${name} exceeds 2^64-1`);
  return v;
}

/** An integer within [min, max]. */
export function parseInteger(value: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?[0-9]+$/.test(value)) throw new CliError(`--${name} must be an integer, got "${value}"`);
  const v = Number(value);
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new CliError(`--${name} must be in [${min}, ${max}]`);
  return v;
}

/** A positive decimal number (seconds, rates). */
export function parsePositive(value: string, name: string): number {
  const v = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(v > 0))
    throw new CliError(`--${name} must be a positive number`);
  return v;
}

/** A checksummed address, as its 20 bytes. */
export function parseAddress(value: string, name = "address"): Uint8Array {
  try {
    return decodeAddress(value);
  } catch (err) {
    if (err instanceof AddressError) throw new CliError(`--${name}: ${err.message}`);
    throw err;
  }
}

/** A duration like 90d, 24h, 30m, 45s or 500ms, in milliseconds. */
export function parseDuration(value: string, name: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new CliError(`--${name} must be a duration like 90d, 24h, 30m or 45s, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as "ms" | "s" | "m" | "h" | "d"
  ];
  return Number(m[1]) * unit;
}

/** Collects repeated options into a list (commander's accumulator). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
