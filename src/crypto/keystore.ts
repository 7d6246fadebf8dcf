/**
 * Encrypted keystores for ed25519 secret keys: JSON, versioned.
 *
 *   { version: 1, kind: "chainlab-keystore", address, publicKey (hex 32),
 *     crypto: { kdf: "scrypt", kdfparams: { n, r, p, dklen: 32, salt (hex 16..64) },
 *               cipher: "aes-256-gcm", iv (hex 12), ciphertext (hex 32), tag (hex 16) } }
 *
 * The AES key is scrypt(NFKC(passphrase), salt). GCM authenticates "chainlab-keystore/v1" || publicKey
 * || address as AAD, so an edited public key or address fails like a wrong passphrase. The default
 * N = 2^15, r = 8, p = 1 costs 32 MiB and about 0.1 s; testnets and tests may pass a lower `n` (>= 2^10).
 * A file's scrypt parameters are bounded (N <= 2^20, N·r·p <= 2^23, i.e. at most 1 GiB and a few
 * seconds) so a hostile file cannot exhaust memory or CPU. Secrets never appear in error messages.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { link, lstat, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ChainlabError } from "../core/errors.ts";
import { bytesEqual, concatBytes, fromHex, toHex, utf8 } from "../core/hash.ts";
import { addressOf } from "./address.ts";
import { publicKeyOf, SECRET_KEY_SIZE } from "./ed25519.ts";

export const KEYSTORE_VERSION = 1;
export const KEYSTORE_KIND = "chainlab-keystore";
export const DEFAULT_SCRYPT_N = 2 ** 15;
export const MIN_SCRYPT_N = 2 ** 10;
export const MAX_SCRYPT_N = 2 ** 20;
/** Upper bound on N·r·p: the work (and, with p = 1, the 128·N·r bytes of memory) of N = 2^20, r = 8. */
export const MAX_SCRYPT_COST = 2 ** 23;
export const MAX_KEYSTORE_FILE_SIZE = 64 * 1024;

const AAD_TAG = utf8("chainlab-keystore/v1");
const KEY_SIZE = 32;
const IV_SIZE = 12;
const TAG_SIZE = 16;

/** Codes of KeystoreError. */
export type KeystoreErrorCode =
  | "KEYSTORE_WRONG_PASSPHRASE"
  | "KEYSTORE_MALFORMED"
  | "KEYSTORE_EXISTS"
  | "KEYSTORE_NOT_FOUND"
  | "KEYSTORE_KEY_MISMATCH"
  | "KEYSTORE_NO_PASSPHRASE"
  | "KEYSTORE_PASSPHRASE_MISMATCH";

/** A keystore that cannot be read, written or decrypted; the message never holds a secret. */
export class KeystoreError extends ChainlabError {
  declare readonly code: KeystoreErrorCode;
  constructor(code: KeystoreErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** scrypt parameters as stored in a keystore. */
export interface ScryptParams {
  n: number;
  r: number;
  p: number;
  dklen: number;
  salt: string;
}

/** The JSON form of a keystore file (version 1). */
export interface KeystoreJson {
  version: 1;
  kind: typeof KEYSTORE_KIND;
  address: string;
  publicKey: string;
  crypto: {
    kdf: "scrypt";
    kdfparams: ScryptParams;
    cipher: "aes-256-gcm";
    iv: string;
    ciphertext: string;
    tag: string;
  };
}

/** What a keystore decrypts to. */
export interface DecryptedKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
}

/** Options of encryptKeystore: scrypt cost (defaults N = 2^15, r = 8, p = 1). */
export interface EncryptKeystoreOptions {
  n?: number;
  r?: number;
  p?: number;
}

type Fields = Record<string, unknown>;

function malformed(field: string, why: string): KeystoreError {
  const message = field === "keystore" ? `malformed keystore: ${why}` : `malformed keystore: ${field} ${why}`;
  return new KeystoreError("KEYSTORE_MALFORMED", message, { field });
}

function objectAt(value: unknown, field: string, keys: readonly string[]): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed(field, field === "keystore" ? "not a JSON object" : "must be an object");
  }
  const name = (k: string) => (field === "keystore" ? k : `${field}.${k}`);
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) throw malformed(name(k), "is not a known field");
  }
  for (const k of keys) {
    if (!Object.hasOwn(value, k)) throw malformed(name(k), "is missing");
  }
  return value as Fields;
}

function literalAt<T extends string | number>(o: Fields, key: string, field: string, expected: T): T {
  if (o[key] !== expected) throw malformed(field, `must be ${JSON.stringify(expected)}`);
  return expected;
}

function hexAt(o: Fields, key: string, field: string, minBytes: number, maxBytes = minBytes): string {
  const v = o[key];
  if (typeof v !== "string" || !/^(?:[0-9a-f]{2})*$/.test(v)) throw malformed(field, "must be lowercase hex");
  const n = v.length / 2;
  if (n < minBytes || n > maxBytes) {
    const want = minBytes === maxBytes ? `${minBytes}` : `${minBytes} to ${maxBytes}`;
    throw malformed(field, `must be ${want} bytes, got ${n}`);
  }
  return v;
}

function intAt(o: Fields, key: string, field: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw malformed(field, `must be an integer in [${min}, ${max}]`);
  }
  return v;
}

/** Checks scrypt cost parameters against the bounds; `field` names the offending one. */
function checkScryptCost(n: number, r: number, p: number, field: string): void {
  if (!Number.isInteger(n) || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N || (n & (n - 1)) !== 0) {
    throw malformed(`${field}.n`, "must be a power of two in [2^10, 2^20]");
  }
  if (!Number.isInteger(r) || r < 1 || r > 32) throw malformed(`${field}.r`, "must be an integer in [1, 32]");
  if (!Number.isInteger(p) || p < 1 || p > 16) throw malformed(`${field}.p`, "must be an integer in [1, 16]");
  if (n * r * p > MAX_SCRYPT_COST) throw malformed(field, "n*r*p exceeds 2^23");
}

/** Validates the shape of a parsed keystore strictly; throws KEYSTORE_MALFORMED naming the field. */
export function parseKeystore(value: unknown): KeystoreJson {
  const top = objectAt(value, "keystore", ["version", "kind", "address", "publicKey", "crypto"]);
  if (typeof top["version"] !== "number" || top["version"] !== KEYSTORE_VERSION) {
    throw malformed("version", `must be ${KEYSTORE_VERSION} (unsupported keystore version)`);
  }
  literalAt(top, "kind", "kind", KEYSTORE_KIND);
  const publicKey = hexAt(top, "publicKey", "publicKey", 32);
  if (typeof top["address"] !== "string") throw malformed("address", "must be a string");
  const address = top["address"];
  if (address !== addressOf(fromHex(publicKey))) throw malformed("address", "does not match publicKey");
  const c = objectAt(top["crypto"], "crypto", ["kdf", "kdfparams", "cipher", "iv", "ciphertext", "tag"]);
  literalAt(c, "kdf", "crypto.kdf", "scrypt");
  literalAt(c, "cipher", "crypto.cipher", "aes-256-gcm");
  const kp = objectAt(c["kdfparams"], "crypto.kdfparams", ["n", "r", "p", "dklen", "salt"]);
  const n = intAt(kp, "n", "crypto.kdfparams.n", 1, MAX_SCRYPT_N);
  const r = intAt(kp, "r", "crypto.kdfparams.r", 1, 32);
  const p = intAt(kp, "p", "crypto.kdfparams.p", 1, 16);
  checkScryptCost(n, r, p, "crypto.kdfparams");
  const dklen = literalAt(kp, "dklen", "crypto.kdfparams.dklen", KEY_SIZE);
  const salt = hexAt(kp, "salt", "crypto.kdfparams.salt", 16, 64);
  return {
    version: KEYSTORE_VERSION,
    kind: KEYSTORE_KIND,
    address,
    publicKey,
    crypto: {
      kdf: "scrypt",
      kdfparams: { n, r, p, dklen, salt },
      cipher: "aes-256-gcm",
      iv: hexAt(c, "iv", "crypto.iv", IV_SIZE),
      ciphertext: hexAt(c, "ciphertext", "crypto.ciphertext", SECRET_KEY_SIZE),
      tag: hexAt(c, "tag", "crypto.tag", TAG_SIZE),
    },
  };
}

function deriveKey(passphrase: string, params: ScryptParams): Promise<Buffer> {
  const { n, r, p } = params;
  const maxmem = 128 * r * (n + p + 2) + 1024 * 1024;
  const secret = utf8(passphrase.normalize("NFKC"));
  return new Promise((resolve, reject) => {
    scrypt(secret, fromHex(params.salt), KEY_SIZE, { N: n, r, p, maxmem }, (err, key) => {
      secret.fill(0);
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function additionalData(publicKey: string, address: string): Uint8Array {
  return concatBytes(AAD_TAG, fromHex(publicKey), utf8(address));
}

/** Encrypts a 32-byte ed25519 secret seed under a passphrase. */
export async function encryptKeystore(
  secretKey: Uint8Array,
  passphrase: string,
  opts: EncryptKeystoreOptions = {},
): Promise<KeystoreJson> {
  if (secretKey.length !== SECRET_KEY_SIZE) throw new RangeError("ed25519 secret key must be 32 bytes");
  if (passphrase.length === 0)
    throw new KeystoreError("KEYSTORE_NO_PASSPHRASE", "passphrase must not be empty");
  const { n = DEFAULT_SCRYPT_N, r = 8, p = 1 } = opts;
  checkScryptCost(n, r, p, "options");
  const publicKey = toHex(publicKeyOf(secretKey));
  const address = addressOf(fromHex(publicKey));
  const kdfparams: ScryptParams = { n, r, p, dklen: KEY_SIZE, salt: toHex(randomBytes(32)) };
  const key = await deriveKey(passphrase, kdfparams);
  const iv = randomBytes(IV_SIZE);
  try {
    const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_SIZE });
    cipher.setAAD(additionalData(publicKey, address));
    const ciphertext = Buffer.concat([cipher.update(secretKey), cipher.final()]);
    return {
      version: KEYSTORE_VERSION,
      kind: KEYSTORE_KIND,
      address,
      publicKey,
      crypto: {
        kdf: "scrypt",
        kdfparams,
        cipher: "aes-256-gcm",
        iv: toHex(iv),
        ciphertext: toHex(ciphertext),
        tag: toHex(cipher.getAuthTag()),
      },
    };
  } finally {
    key.fill(0);
  }
}

/** Validates and decrypts a keystore (parsed JSON); checks the secret against the stored public key. */
export async function decryptKeystore(json: unknown, passphrase: string): Promise<DecryptedKey> {
  const ks = parseKeystore(json);
  const key = await deriveKey(passphrase, ks.crypto.kdfparams);
  let secretKey: Uint8Array;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, fromHex(ks.crypto.iv), { authTagLength: TAG_SIZE });
    decipher.setAAD(additionalData(ks.publicKey, ks.address));
    decipher.setAuthTag(fromHex(ks.crypto.tag));
    secretKey = new Uint8Array(
      Buffer.concat([decipher.update(fromHex(ks.crypto.ciphertext)), decipher.final()]),
    );
  } catch {
    throw new KeystoreError("KEYSTORE_WRONG_PASSPHRASE", "wrong passphrase or corrupted keystore", {
      address: ks.address,
    });
  } finally {
    key.fill(0);
  }
  const publicKey = publicKeyOf(secretKey);
  if (!bytesEqual(publicKey, fromHex(ks.publicKey))) {
    secretKey.fill(0);
    throw new KeystoreError(
      "KEYSTORE_KEY_MISMATCH",
      "decrypted secret key does not match the keystore's public key",
      {
        address: ks.address,
      },
    );
  }
  return { secretKey, publicKey, address: ks.address };
}

/** Options of writeKeystoreFile. */
export interface WriteKeystoreOptions {
  /** Replace an existing file (default: refuse with KEYSTORE_EXISTS). */
  overwrite?: boolean;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not every platform can fsync a directory; the file itself is already synced.
  }
}

/** Moves `tmp` to `path` without replacing an existing file (link fails atomically on EEXIST). */
async function publishNew(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
    return;
  } catch (err) {
    if (errnoOf(err) === "EEXIST") throw existsError(path);
    if (errnoOf(err) === "ENOENT") throw err;
  }
  // Filesystems without hard links: check, then rename (not race-free, but still atomic content).
  const exists = await lstat(path).then(
    () => true,
    (err: unknown) => (errnoOf(err) === "ENOENT" ? false : Promise.reject(err)),
  );
  if (exists) throw existsError(path);
  await rename(tmp, path);
}

function existsError(path: string): KeystoreError {
  return new KeystoreError("KEYSTORE_EXISTS", `keystore ${path} already exists (refusing to overwrite)`, {
    path,
  });
}

/** Writes a keystore atomically (temp file, fsync, rename) with mode 0600. */
export async function writeKeystoreFile(
  path: string,
  keystore: KeystoreJson,
  opts: WriteKeystoreOptions = {},
): Promise<void> {
  const text = `${JSON.stringify(parseKeystore(keystore), null, 2)}\n`;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    try {
      await fh.chmod(0o600);
      await fh.writeFile(text, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (opts.overwrite === true) await rename(tmp, path);
    else await publishNew(tmp, path);
    await syncDir(dirname(path));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Reads and validates a keystore file without decrypting it (for its address and public key). */
export async function readKeystoreJson(path: string): Promise<KeystoreJson> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw malformed("keystore", `${path} is not a regular file`);
    if (info.size > MAX_KEYSTORE_FILE_SIZE) {
      throw malformed("keystore", `${path} exceeds ${MAX_KEYSTORE_FILE_SIZE} bytes`);
    }
    text = await readFile(path, "utf8");
  } catch (err) {
    if (errnoOf(err) === "ENOENT") {
      throw new KeystoreError("KEYSTORE_NOT_FOUND", `keystore ${path} not found`, { path });
    }
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("keystore", `${path} is not valid JSON`);
  }
  return parseKeystore(value);
}

/** Reads a keystore file and decrypts it with `passphrase`. */
export async function readKeystoreFile(path: string, passphrase: string): Promise<DecryptedKey> {
  return decryptKeystore(await readKeystoreJson(path), passphrase);
}
