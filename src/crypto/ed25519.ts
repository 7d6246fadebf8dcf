/**
 * Ed25519 keys and signatures. Keys are generated with @noble/curves; signing and verification on
 * hot paths go through node:crypto (OpenSSL, ~15x faster than noble here). `verifyReference` keeps
 * noble as the RFC 8032 reference (strict mode, to match OpenSSL) for tests and cross-checks.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";

export const PUBLIC_KEY_SIZE = 32;
export const SECRET_KEY_SIZE = 32;
export const SIGNATURE_SIZE = 64;

// DER prefixes that wrap raw Ed25519 keys as PKCS#8 / SPKI for node:crypto (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

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

// Signing keys are cached (by a hash of the seed, so no secret becomes a map key) so repeated
// signing (load generators, producers) skips DER parsing.
const privateKeyCache = new Map<string, KeyObject>();
const PRIVATE_KEY_CACHE_MAX = 1024;

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== SECRET_KEY_SIZE) throw new RangeError("ed25519 secret key must be 32 bytes");
  const id = createHash("sha256").update(secretKey).digest("base64");
  let key = privateKeyCache.get(id);
  if (key === undefined) {
    const der = new Uint8Array(PKCS8_PREFIX.length + 32);
    der.set(PKCS8_PREFIX);
    der.set(secretKey, PKCS8_PREFIX.length);
    key = createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
    der.fill(0);
    if (privateKeyCache.size >= PRIVATE_KEY_CACHE_MAX) privateKeyCache.clear();
    privateKeyCache.set(id, key);
  }
  return key;
}

const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_MAX = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString("hex");
  let key = publicKeyCache.get(id);
  if (key === undefined) {
    const der = new Uint8Array(SPKI_PREFIX.length + 32);
    der.set(SPKI_PREFIX);
    der.set(publicKey, SPKI_PREFIX.length);
    key = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) publicKeyCache.clear();
    publicKeyCache.set(id, key);
  }
  return key;
}

/** Signs `message` (pure Ed25519, RFC 8032) with node:crypto. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKeyObject(secretKey)));
}

/** Verifies with node:crypto (strict RFC 8032). Never throws: bad keys or lengths are `false`. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_SIZE || publicKey.length !== PUBLIC_KEY_SIZE) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
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
