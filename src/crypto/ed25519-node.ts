/**
 * Ed25519 signing and verification with node:crypto (OpenSSL), with bounded caches of parsed key
 * objects. Kept apart from ed25519.ts so the signature-verification workers load no noble code
 * (about 10 MB less per worker); ed25519.ts re-exports everything here.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";

export const PUBLIC_KEY_SIZE = 32;
export const SECRET_KEY_SIZE = 32;
export const SIGNATURE_SIZE = 64;

// DER prefixes that wrap raw Ed25519 keys as PKCS#8 / SPKI for node:crypto (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** Wraps 32 raw key bytes in their DER prefix (PKCS#8 or SPKI); the caller wipes secrets. */
function der(prefix: Uint8Array, raw: Uint8Array): Buffer {
  const out = Buffer.alloc(prefix.length + 32);
  out.set(prefix);
  out.set(raw, prefix.length);
  return out;
}

/** A bounded map from an id to a KeyObject, built on first use (cleared wholesale when full). */
function keyCache(max: number): (id: string, make: () => KeyObject) => KeyObject {
  const cache = new Map<string, KeyObject>();
  return (id, make) => {
    let key = cache.get(id);
    if (key === undefined) {
      key = make();
      if (cache.size >= max) cache.clear();
      cache.set(id, key);
    }
    return key;
  };
}

// Key objects are cached so repeated signing (load generators, producers) and verification skip
// DER parsing. Signing keys are found by a hash of the seed, so no secret becomes a map key.
const privateKeys = keyCache(1024);
const publicKeys = keyCache(4096);

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== SECRET_KEY_SIZE) throw new RangeError("ed25519 secret key must be 32 bytes");
  return privateKeys(createHash("sha256").update(secretKey).digest("base64"), () => {
    const bytes = der(PKCS8_PREFIX, secretKey);
    try {
      return createPrivateKey({ key: bytes, format: "der", type: "pkcs8" });
    } finally {
      bytes.fill(0);
    }
  });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return publicKeys(Buffer.from(publicKey).toString("hex"), () =>
    createPublicKey({ key: der(SPKI_PREFIX, publicKey), format: "der", type: "spki" }),
  );
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
