/**
 * Addresses: bech32m (BIP-350) with the `clab` prefix over the first 20 bytes of SHA-256(public key).
 * The checksum catches any single changed character.
 */
import { bech32m } from "@scure/base";
import { ChainlabError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";

export const ADDRESS_PREFIX = "clab";
export const ADDRESS_SIZE = 20;

/** Raised for a string that is not a valid chainlab address. */
export class AddressError extends ChainlabError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super("BAD_ADDRESS", message, data);
  }
}

/** The 20-byte account id of a public key. */
export function addressBytesOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, ADDRESS_SIZE);
}

/** The human-readable address of 20 account-id bytes. */
export function encodeAddress(bytes: Uint8Array): string {
  if (bytes.length !== ADDRESS_SIZE) throw new AddressError(`address must be ${ADDRESS_SIZE} bytes`);
  return bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(bytes));
}

/** The human-readable address of a public key. */
export function addressOf(publicKey: Uint8Array): string {
  return encodeAddress(addressBytesOf(publicKey));
}

/** Parses and checksums an address; throws AddressError with a one-line reason. */
export function decodeAddress(address: string): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32m.decode(address as `${string}1${string}`);
  } catch (err) {
    throw new AddressError(`invalid address "${truncate(address)}": ${(err as Error).message}`);
  }
  if (decoded.prefix !== ADDRESS_PREFIX) {
    throw new AddressError(`invalid address prefix "${decoded.prefix}", expected "${ADDRESS_PREFIX}"`);
  }
  let bytes: Uint8Array;
  try {
    bytes = bech32m.fromWords(decoded.words);
  } catch {
    throw new AddressError(`invalid address "${truncate(address)}": bad padding`);
  }
  if (bytes.length !== ADDRESS_SIZE) {
    throw new AddressError(`invalid address length ${bytes.length}, expected ${ADDRESS_SIZE}`);
  }
  return bytes;
}

function truncate(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}
