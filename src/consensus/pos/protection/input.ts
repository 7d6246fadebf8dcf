/** Validation of the values callers and interchange files hand the protection DB. */
import { U64_MAX } from "../../../core/encoding.ts";
import { ProtectionError } from "./errors.ts";

/** Longest pubkey accepted, in bytes (ed25519 keys are 32, the EIP-3076 suite's BLS keys 48). */
export const MAX_PUBKEY_BYTES = 96;

const HEX = /^(?:0x)?((?:[0-9a-fA-F]{2})+)$/;

/** A pubkey as lowercase hex without 0x: the key's directory name and its map key. */
export function normalizePubkey(value: unknown): string {
  const m = typeof value === "string" ? HEX.exec(value) : null;
  if (!m || m[1]!.length > MAX_PUBKEY_BYTES * 2) {
    throw new ProtectionError(
      "PROTECTION_BAD_INPUT",
      `pubkey: expected 1 to ${MAX_PUBKEY_BYTES} bytes of hex`,
    );
  }
  return m[1]!.toLowerCase();
}

/** A 32-byte root from hex (0x optional); `undefined` stays undefined (an unknown signing root). */
export function parseRoot(value: unknown, what = "signing_root"): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === "string" ? HEX.exec(value) : null;
  if (!m || m[1]!.length !== 64) {
    throw new ProtectionError("PROTECTION_BAD_INPUT", `${what}: expected 32 bytes of hex`);
  }
  return Uint8Array.from(Buffer.from(m[1]!, "hex"));
}

/** A slot or epoch: a non-negative safe integer, a bigint or (interchange) a decimal string, up to 2^64-1. */
export function parseU64(value: unknown, what: string): bigint {
  let n: bigint | undefined;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^(?:0|[1-9][0-9]{0,19})$/.test(value)) n = BigInt(value);
  if (n === undefined || n < 0n || n > U64_MAX) {
    throw new ProtectionError("PROTECTION_BAD_INPUT", `${what}: expected an integer from 0 to 2^64-1`);
  }
  return n;
}
