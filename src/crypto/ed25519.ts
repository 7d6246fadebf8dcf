/**
 * Ed25519 keys and signatures. Keys are generated with @noble/curves; signing and verification on
 * hot paths go through node:crypto (OpenSSL, ~15x faster than noble here). `verifyReference` keeps
 * noble as the RFC 8032 reference (strict mode, to match OpenSSL) for tests and cross-checks.
 */
import { ed25519 } from "@noble/curves/ed25519.js";

export {
  PUBLIC_KEY_SIZE,
  SECRET_KEY_SIZE,
  SIGNATURE_SIZE,
  sign,
  verify,
} from "./ed25519-node.ts";

/** A secret seed and its public key. */
export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh key pair from the CSPRNG. */
export function generateKeyPair(): KeyPair {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/** The public key of a 32-byte secret seed. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** Signs with @noble/curves (the reference implementation). */
export function signReference(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/** Verifies with @noble/curves in strict RFC 8032 mode (zip215 off), the reference for `verify`. */
export function verifyReference(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
