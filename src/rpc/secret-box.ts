/**
 * The node-local master key and AES-256-GCM sealing of secrets at rest.
 *
 * Why encryption and not a one-way hash: the server must recompute HMAC-SHA256(secret, request)
 * to check a signature, so it needs the secret itself. DESIGN §7 allows "a salted hash or an
 * encrypted form"; we store the secret sealed under a 32-byte master key that lives in its own
 * mode-0600 file in the data dir (never in LevelDB), plus a salted hash used only as a display
 * fingerprint. A copy of the DB alone reveals no secret; the DB and the master key file together do,
 * exactly like a copy of the data dir reveals Bitcoin Core's cookie.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiKeyError } from "./errors.ts";
import { writeSecretFileSync } from "./secret-file.ts";

/** File name of the master key inside the data dir. */
export const MASTER_KEY_FILE = "rpc-master.key";

/** A secret sealed with AES-256-GCM; every field is hex. */
export interface SealedSecret {
  iv: string;
  ciphertext: string;
  tag: string;
}

/** Reads `<dataDir>/rpc-master.key` (64 hex chars), creating it with mode 0600 on first use. */
export function loadOrCreateMasterKey(dataDir: string): Buffer {
  const path = join(dataDir, MASTER_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text === undefined) {
    const key = randomBytes(32);
    // Publishing fails if another process created the file in between; then read theirs.
    try {
      writeSecretFileSync(path, key.toString("hex"), { overwrite: false });
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      text = readFileSync(path, "utf8");
    }
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ApiKeyError("APIKEY_MASTER_KEY_INVALID", `${path}: expected 64 lowercase hex chars`, { path });
  }
  return Buffer.from(hex, "hex");
}

/** Encrypts `secret` under `masterKey`, binding it to `aad` (the key id) so records cannot be swapped. */
export function sealSecret(masterKey: Uint8Array, secret: Uint8Array, aad: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    iv: iv.toString("hex"),
    ciphertext: ciphertext.toString("hex"),
    tag: cipher.getAuthTag().toString("hex"),
  };
}

/**
 * Decrypts a sealed secret or throws APIKEY_DECRYPT_FAILED (wrong master key, tampered record).
 * The tag must be the full 16 bytes: GCM would otherwise verify a truncated tag, and a 4-byte
 * tag can be forged by trial.
 */
export function openSecret(masterKey: Uint8Array, sealed: SealedSecret, aad: string): Buffer {
  const failed = () =>
    new ApiKeyError("APIKEY_DECRYPT_FAILED", `cannot decrypt the secret of ${aad}`, { id: aad });
  if (!/^[0-9a-f]{32}$/.test(sealed.tag) || !/^[0-9a-f]{24}$/.test(sealed.iv)) throw failed();
  try {
    const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(sealed.iv, "hex"), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(Buffer.from(sealed.tag, "hex"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "hex")), decipher.final()]);
  } catch {
    throw failed();
  }
}

/** Salted fingerprint of a secret (HMAC-SHA256(salt, secret), 16 hex chars) for display only. */
export function fingerprintSecret(salt: string, secret: Uint8Array): string {
  return createHmac("sha256", Buffer.from(salt, "hex")).update(secret).digest("hex").slice(0, 16);
}

/** A fresh secret and what is stored of it: a display fingerprint and the sealed form. */
export interface MintedSecret {
  secret: Buffer;
  salt: string;
  fingerprint: string;
  sealed: SealedSecret;
}

/** Draws 32 CSPRNG bytes for `id` (an API key or webhook id) and seals them under `masterKey`. */
export function mintSecret(masterKey: Uint8Array, id: string): MintedSecret {
  const secret = randomBytes(32);
  const salt = randomBytes(16).toString("hex");
  return {
    secret,
    salt,
    fingerprint: fingerprintSecret(salt, secret),
    sealed: sealSecret(masterKey, secret, id),
  };
}
